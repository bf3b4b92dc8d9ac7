"""Working-day calendar (kapm.workdays): hand-worked cases and properties."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kapm.workdays import WorkCalendar

D = dt.date


def test_plain_weekdays():
    cal = WorkCalendar(D(2024, 1, 8))  # Monday
    assert [cal.date(i) for i in range(6)] == [D(2024, 1, d) for d in (8, 9, 10, 11, 12, 15)]
    assert cal.date(-1) == D(2024, 1, 5)
    assert cal.index(D(2024, 1, 13)) == 5  # Saturday -> next Monday
    assert cal.last_index(D(2024, 1, 13)) == 4  # Saturday -> previous Friday
    assert cal.index(D(2024, 1, 12)) == cal.last_index(D(2024, 1, 12)) == 4
    assert not cal.is_working(D(2024, 1, 14))
    assert cal.count(D(2024, 1, 8), D(2024, 1, 14)) == 5


def test_spec_five_days_from_wednesday():
    cal = WorkCalendar(D(2024, 1, 8))
    s = cal.index(D(2024, 1, 10))
    assert cal.date(s + 5 - 1) == D(2024, 1, 16)


def test_start_on_a_weekend():
    cal = WorkCalendar(D(2024, 1, 13))  # Saturday
    assert cal.date(0) == D(2024, 1, 15)
    assert cal.index(D(2024, 1, 13)) == 0
    assert cal.last_index(D(2024, 1, 13)) == -1
    assert cal.date(-1) == D(2024, 1, 12)


def test_custom_workweek_and_explicit_days():
    cal = WorkCalendar(
        D(2024, 1, 7),
        workweek=(6, 0, 1, 2, 3),  # Sunday–Thursday
        holidays=[D(2024, 1, 9)],
        workdays=[D(2024, 1, 12)],  # a Friday
    )
    assert [cal.date(i) for i in range(5)] == [D(2024, 1, d) for d in (7, 8, 10, 11, 12)]


def test_china_national_day_2026_with_makeup_days():
    cal = WorkCalendar(D(2026, 9, 1), country="CN")
    # 调休: Sunday 2026-09-20 and Saturday 2026-10-10 are working days.
    assert cal.is_working(D(2026, 9, 20)) and cal.is_working(D(2026, 10, 10))
    assert not cal.is_working(D(2026, 9, 19)) and not cal.is_working(D(2026, 10, 11))
    assert not cal.is_working(D(2026, 9, 25))  # Mid-Autumn Festival
    for day in range(1, 8):
        assert not cal.is_working(D(2026, 10, day))
    assert cal.is_working(D(2026, 10, 8))
    assert cal.index(D(2026, 9, 20)) == 14
    assert cal.last_index(D(2026, 10, 7)) == 21  # Wed 2026-09-30
    assert cal.index(D(2026, 10, 1)) == 22  # Thu 2026-10-08
    # 5 working days from Tue 2026-09-29: 09-29, 09-30, 10-08, 10-09, Sat 10-10.
    s = cal.index(D(2026, 9, 29))
    assert [cal.date(i) for i in range(s, s + 5)] == [D(2026, 9, 29), D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10)]


def test_china_spring_festival_2026_and_2027():
    cal = WorkCalendar(D(2026, 2, 2), country="CN")
    assert cal.is_working(D(2026, 2, 14)) and cal.is_working(D(2026, 2, 28))  # 调休 Saturdays
    for day in (16, 17, 18, 19, 20, 23):
        assert not cal.is_working(D(2026, 2, day))
    # 2027: holidays from the package (its make-up days are not published in the data yet).
    for day in (5, 8, 9, 10):
        assert not cal.is_working(D(2027, 2, day))
    assert cal.is_working(D(2027, 2, 11))
    # A 2027 make-up Saturday can be declared explicitly.
    cal2 = WorkCalendar(D(2027, 2, 1), country="CN", workdays=[D(2027, 2, 20)])
    assert cal2.is_working(D(2027, 2, 20)) and not cal2.is_working(D(2027, 2, 27))


def test_explicit_lists_override_country_data():
    cal = WorkCalendar(D(2026, 9, 1), country="CN", holidays=[D(2026, 10, 10), D(2026, 10, 12)], workdays=[D(2026, 10, 12)])
    assert not cal.is_working(D(2026, 10, 10))  # explicit holiday beats a 调休 day
    assert cal.is_working(D(2026, 10, 12))  # explicit workday beats an explicit holiday


def test_errors_are_value_errors_with_clear_messages():
    with pytest.raises(ValueError, match="no working days"):
        WorkCalendar(D(2024, 1, 1), workweek=())
    with pytest.raises(ValueError, match="unknown country"):
        WorkCalendar(D(2024, 1, 1), country="XX")
    with pytest.raises(ValueError, match="0 \\(Monday\\)"):
        WorkCalendar(D(2024, 1, 1), workweek=(7,))
    cal = WorkCalendar(D(2024, 1, 1), workweek=(), workdays=[D(2024, 1, 3), D(2024, 1, 10)])
    assert [cal.date(0), cal.date(1)] == [D(2024, 1, 3), D(2024, 1, 10)]
    with pytest.raises(ValueError, match="does not exist"):
        cal.date(2)
    with pytest.raises(ValueError):
        cal.index(D(2024, 2, 1))


def test_lazy_extension_both_directions():
    cal = WorkCalendar(D(2026, 9, 1), country="CN")
    far = cal.date(5000)
    assert cal.index(far) == 5000
    old = cal.date(-3000)
    assert cal.index(old) == -3000
    assert cal.index(D(2026, 9, 1)) == 0
    assert cal.index(D(2040, 1, 4)) == cal.last_index(D(2040, 1, 4))  # a Wednesday


def test_bulk_conversions_are_fast():
    cal = WorkCalendar(D(2026, 9, 1), country="CN")
    days = [D(2026, 1, 1) + dt.timedelta(days=i % 900) for i in range(20_000)]
    idx = [i % 600 - 100 for i in range(20_000)]
    cal.indexes(days[:2]), cal.dates(idx[:2])
    t = time.perf_counter()
    got = cal.indexes(days)
    back = cal.dates(idx)
    elapsed = time.perf_counter() - t
    assert got[:3] == [cal.index(d) for d in days[:3]] and back[5] == cal.date(idx[5])
    assert elapsed < 0.25, elapsed  # ~3 ms on a quiet machine; generous for shared CI


calendars = st.builds(
    lambda start, week, hols, extra: WorkCalendar(start, workweek=week, holidays=hols, workdays=extra),
    st.dates(D(2015, 1, 1), D(2035, 12, 31)),
    st.sets(st.integers(0, 6), min_size=1),
    st.lists(st.dates(D(2015, 1, 1), D(2036, 12, 31)), max_size=30),
    st.lists(st.dates(D(2015, 1, 1), D(2036, 12, 31)), max_size=10),
)


@settings(max_examples=60, deadline=None)
@given(calendars, st.lists(st.dates(D(2010, 1, 1), D(2040, 12, 31)), min_size=1, max_size=20), st.lists(st.integers(-3000, 3000), max_size=20))
def test_calendar_properties(cal, days, idx):
    _check_properties(cal, days, idx)


@settings(max_examples=25, deadline=None)
@given(
    st.dates(D(2024, 1, 1), D(2028, 12, 31)),
    st.lists(st.dates(D(2023, 1, 1), D(2029, 12, 31)), min_size=1, max_size=20),
    st.lists(st.integers(-300, 1200), max_size=20),
)
def test_chinese_calendar_properties(start, days, idx):
    _check_properties(WorkCalendar(start, country="CN"), days, idx)


def _check_properties(cal, days, idx):
    for d in days:
        i = cal.index(d)
        j = cal.last_index(d)
        assert cal.date(i) >= d and cal.is_working(cal.date(i))
        assert cal.date(j) <= d and cal.is_working(cal.date(j))
        assert j <= i and (j == i) == cal.is_working(d)
        assert i - j in (0, 1)
    for i in idx:
        d = cal.date(i)
        assert cal.is_working(d) and cal.index(d) == i == cal.last_index(d)
        assert cal.date(i + 1) > d
    assert cal.date(0) >= cal.start and cal.index(cal.start) == 0


def test_country_class_loads_one_module_with_the_public_data():
    """Loading only the country's module gives exactly what holidays.country_holidays gives."""
    import holidays

    from kapm.workdays import _country_class

    for code in ("CN", "US", "DE", "JP", "CHN"):
        cls = _country_class(code)
        assert cls is not None
        for year in (2025, 2026):
            ours, theirs = cls(years=year), holidays.country_holidays(code, years=year)
            assert dict(ours) == dict(theirs)
            assert set(getattr(ours, "weekend_workdays", ()) or ()) == set(getattr(theirs, "weekend_workdays", ()) or ())
    assert _country_class("XX") is None


def test_growing_in_both_directions_stays_within_the_span_limit():
    """Found by hypothesis: one working day a week, days ±2998 (~115 years apart) must not
    fail because the amortised growth margins added up past the 200-year limit."""
    cal = WorkCalendar(D(2015, 1, 1), workweek={0})
    for i in (-958, 2998, -2998):
        d = cal.date(i)
        assert cal.index(d) == i and d.weekday() == 0
    with pytest.raises(ValueError, match="too far"):
        cal.date(6000)  # ~230 years of Mondays: past the limit
    assert cal.date(-2998) == D(2015, 1, 5) - dt.timedelta(weeks=2998)
