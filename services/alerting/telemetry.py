from prometheus_client import Counter

ANOMALIES = Counter("bizpulse_anomalies_detected_total", "New alerts raised, by rule", ["rule"])
RESOLVED = Counter("bizpulse_anomalies_resolved_by_data_total", "Alerts withdrawn because the data no longer supports them, by rule", ["rule"])
UPDATED = Counter("bizpulse_anomalies_updated_total", "Alerts told again because the data still supports them with other figures, by rule", ["rule"])
