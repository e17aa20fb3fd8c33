from prometheus_client import Counter

ANOMALIES = Counter("bizpulse_anomalies_detected_total", "New alerts raised, by rule", ["rule"])
