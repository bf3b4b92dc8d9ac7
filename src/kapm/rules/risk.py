"""Risk register rules (K001–K003)."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule


@rule("K001", "risk-without-owner", WARNING)
def risk_without_owner(ctx):
    """Open risk without an owner.

    A risk nobody owns is a risk nobody watches: no one checks the trigger, carries out
    the response or re-scores it.  Closed and occurred risks are not checked.

    Bad:
        risks:
          - {id: R1, title: Key user leaves, probability: 3, impact: 4}
    Good:
        risks:
          - {id: R1, title: Key user leaves, probability: 3, impact: 4, owner: li.wei}
    """
    for r in ctx.project.risks:
        if r.status == "open" and not r.owner:
            yield Hit(f"open risk '{r.id}' (score {r.score}) has no owner; nobody watches its trigger",
                      r.path + ("id",), "add owner: <person id>")


@rule("K002", "high-risk-without-response", WARNING)
def high_risk_without_response(ctx):
    """Risk with a high score without strategy and response.

    A risk scoring at least ``high_risk_score`` (probability × impact, default 10) needs
    a ``strategy`` (avoid, mitigate, transfer, accept, escalate) and a ``response``
    saying what is being done.  Closed risks are not checked.

    Bad:
        risks:
          - {id: R2, title: MES vendor late, probability: 4, impact: 4, owner: li.wei}
    Good:
        risks:
          - id: R2
            title: MES vendor late
            probability: 4
            impact: 4
            owner: li.wei
            strategy: mitigate
            response: Weekly interface check-in; stub the MES side for SIT
    """
    threshold = int(ctx.settings.get("high_risk_score", 10))
    for r in ctx.project.risks:
        if r.status == "closed" or r.score < threshold:
            continue
        missing = [f for f in ("strategy", "response") if not getattr(r, f)]
        if missing:
            yield Hit(f"risk '{r.id}' scores {r.score} (≥ {threshold}) but has no {' and no '.join(missing)}; "
                      "a high risk without a plan is left to chance",
                      r.path + ("id",), "add " + " and ".join(f"{f}:" for f in missing))


@rule("K003", "risk-not-reviewed", WARNING)
def risk_not_reviewed(ctx):
    """Open risk not reviewed for 30 days.

    Risks change: an open risk needs a review (``reviewed: <date>``) at least every
    ``risk_review_days`` (default 30) calendar days.  A risk never reviewed counts from
    ``raised``, or from the project start.

    Bad:
        risks:
          - {id: R4, title: Data quality, probability: 4, impact: 4, owner: li.wei, reviewed: 2026-09-15}
    Good:
        risks:
          - {id: R4, title: Data quality, probability: 4, impact: 4, owner: li.wei, reviewed: 2026-11-16}
    """
    limit = int(ctx.settings.get("risk_review_days", 30))
    as_of = ctx.as_of
    start = ctx.project.project.start
    for r in ctx.project.risks:
        if r.status != "open":
            continue
        if r.reviewed is not None:
            last, what, path = r.reviewed, f"last reviewed {r.reviewed}", r.path + ("reviewed",)
        elif r.raised is not None:
            last, what, path = r.raised, f"never reviewed since raised on {r.raised}", r.path + ("raised",)
        else:
            last, what, path = start, f"never reviewed since the project start {start}", r.path + ("id",)
        days = (as_of - last).days
        if days > limit:
            yield Hit(f"open risk '{r.id}' (score {r.score}) has had no review for {days} days ({what}); "
                      "its score and response may be out of date",
                      path, f"review it and set reviewed: {as_of} (limit: {limit} days)")
