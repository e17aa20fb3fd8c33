from prometheus_client import Counter

FEEDBACK = Counter("bizpulse_feedback_submitted_total", "Township actions on alerts, by action", ["action"])
