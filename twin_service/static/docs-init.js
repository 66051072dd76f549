// Starts Swagger UI on /docs (twin_service/api/docs.py) from /openapi.json, same origin.
window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });
