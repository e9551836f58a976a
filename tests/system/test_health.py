from fastapi.testclient import TestClient


class TestHealth:
    def test_reports_database_and_queue(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["queue"]["ok"] is True

    def test_metrics_expose_request_counts(self, client: TestClient) -> None:
        client.get("/healthz")
        text = client.get("/metrics").text
        assert 'siyu_http_requests_total{method="GET",route="/healthz",status="200"}' in text
        assert "siyu_queue_depth" in text
