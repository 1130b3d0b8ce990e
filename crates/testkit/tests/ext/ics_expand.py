"""Parses an iCalendar file with PyPI `icalendar` and expands it with `recurring-ical-events`.

Usage: ics_expand.py FILE FROM TO  (ISO 8601 instants). Prints a JSON object: the UTC start of every event
occurrence in the range, sorted, and each event's summary. Exits non-zero if the file does not parse or an event
has no zoned start.
"""
import datetime
import json
import sys

import icalendar
import recurring_ical_events


def main() -> int:
    path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    for event in cal.walk("VEVENT"):
        dt = event["DTSTART"].dt
        if not isinstance(dt, datetime.datetime) or dt.tzinfo is None:
            print(f"event {event.get('UID')} has no zoned DTSTART", file=sys.stderr)
            return 2
    t0 = datetime.datetime.fromisoformat(start)
    t1 = datetime.datetime.fromisoformat(end)
    occurrences = recurring_ical_events.of(cal).between(t0, t1)
    starts = sorted(
        o["DTSTART"].dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for o in occurrences
    )
    summaries = sorted({str(o.get("SUMMARY")) for o in occurrences})
    zones = sorted(str(tz["TZID"]) for tz in cal.walk("VTIMEZONE"))
    print(json.dumps({"starts": starts, "summaries": summaries, "zones": zones}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
