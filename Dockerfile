# accesstwin: gateway + twin service (`accesstwin serve`). Build: docker build -t accesstwin .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# espeak-ng: the speech worker (pyttsx3) synthesises the learner's spoken feedback with it
# (voices en, ar, cmn). Fonts: Arabic and Chinese for pages rendered or printed in the image
# (report PDFs, screenshots); browsers use the learner's own fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng libespeak-ng1 \
       fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/accesstwin \
        --shell /usr/sbin/nologin accesstwin \
    && install -d -o accesstwin -g accesstwin -m 0750 /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY accesstwin_contract/ accesstwin_contract/
COPY gateway/ gateway/
COPY twin_service/ twin_service/
COPY accessibility/ accessibility/
COPY devices/ devices/
# The server extra: FastAPI, uvicorn, amqtt, pyttsx3, InfluxDB client… (a kit needs none of them).
RUN pip install '.[server]' && cd / && rm -rf /src

USER accesstwin
WORKDIR /data
VOLUME ["/data"]
ENV ACCESSTWIN_HTTP_PORT=8000 \
    ACCESSTWIN_STORE=sqlite:////data/accesstwin.db
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ACCESSTWIN_HTTP_PORT', '8000') + '/readyz', timeout=4)"]

ENTRYPOINT ["accesstwin"]
CMD ["serve", "--http-host", "0.0.0.0"]
