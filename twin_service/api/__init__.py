"""HTTP and websocket routes: one thin module per resource; logic lives elsewhere."""
