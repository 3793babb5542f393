# checkocr service image: onnxruntime + OpenCV on slim Python, no TensorFlow, non-root, model baked in.
# Build: docker build -t checkocr .      Run: docker run -e CHECKOCR_API_KEYS=... -p 8000:8000 checkocr

# --- build stage: a wheel of the project and every serving dependency ---------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY checkocr ./checkocr
COPY segmentation ./segmentation
COPY service ./service
COPY training ./training
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install ".[serve]"

# --- runtime stage: the venv, the models with their cards, the fusion card; nothing else ---------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CHECKOCR_MODEL_PATH=/app/onnx_models/digits.onnx \
    CHECKOCR_FIELD_MODEL_PATH=/app/onnx_models/field.onnx \
    CHECKOCR_FUSION_CARD_PATH=/app/onnx_models/fusion.json \
    CHECKOCR_PORT=8000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin checkocr
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root onnx_models/digits.onnx onnx_models/digits.json /app/onnx_models/
# The field model (PP-OCRv6 derived, Apache-2.0) travels with its upstream notice.
COPY --chown=root:root onnx_models/field.onnx onnx_models/field.json onnx_models/field-NOTICE.md \
    onnx_models/fusion.json /app/onnx_models/
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
# Binding 0.0.0.0 refuses to start unless CHECKOCR_API_KEYS is set (by design: no open service).
STOPSIGNAL SIGTERM
CMD ["checkocr", "serve", "--host", "0.0.0.0"]
