FROM python:3.11-slim
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --uid 10001 --no-create-home escrow
USER 10001
EXPOSE 5000
# The API; workers and the simulators override the command (docker-compose.yml, deploy/k8s).
CMD ["gunicorn", "--config", "python:app.gunicorn_conf", "wsgi:app"]
