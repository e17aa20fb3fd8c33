"""The rebuild of a read-model service from Kafka (shared/service/rebuild.py): what it empties, how it
counts its way to the end offsets taken at start, and that the topics it replays keep their events."""

from shared import topics
from shared.service.rebuild import TopicProgress, emptied, progress, summary

from services.analytics.app import build

START = {("a", 0): 5, ("a", 1): 0, ("b", 0): 3}
END = {("a", 0): 10, ("a", 1): 4, ("b", 0): 3}


def test_progress_counts_from_the_start_offsets_and_stops_at_the_end_ones():
    assert progress(START, END, {}) == [TopicProgress("a", 0, 9), TopicProgress("b", 0, 0)]
    assert progress(START, END, {("a", 0): 7, ("a", 1): 4}) == [TopicProgress("a", 6, 9), TopicProgress("b", 0, 0)]
    # events published during the rebuild are applied too, but are not what it waits for
    assert progress(START, END, {("a", 0): 12, ("a", 1): 9, ("b", 0): 5}) == [TopicProgress("a", 9, 9), TopicProgress("b", 0, 0)]


def test_summary_gives_events_per_topic_seconds_and_rate():
    text = summary([TopicProgress("a", 9, 9), TopicProgress("b", 0, 1)], 2.0)
    assert text.splitlines() == ["  a: 9 events", "  b: 1 events", "rebuilt from 10 events in 2.0 s (5 events/s)"]


def test_analytics_empties_its_read_models_and_inbox_but_not_its_outbox():
    names = {t.name for t in emptied(build().metadata)}
    assert {"entities", "records", "alerts", "submissions", "figure_records", "entity_months", "processed_events"} <= names
    assert not names & {"outbox", "outbox_dead_letters", "alembic_version"}


def test_every_topic_analytics_replays_keeps_its_events_and_intake_keeps_its_short_retention():
    spec = build()
    replayed = {s.topic for s in spec.subscriptions(None)}
    configs = {s.name: s.config for s in topics.all_topics(["445202001"], ["tax"])}
    assert replayed and all(configs[t]["retention.ms"] == "-1" for t in replayed)
    assert configs[topics.intake("tax")]["retention.ms"] == str(3 * 24 * 3600 * 1000)
    assert "retention.ms" not in configs[topics.township_alerts("445202001")]
    assert "rebuild" in spec.commands
