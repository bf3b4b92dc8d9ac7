"""Budget and contract rules (B001–B003)."""

from __future__ import annotations

from kapm.rules.registry import WARNING, Hit, rule


def _money(x: float) -> str:
    return f"{x:,.0f}"


@rule("B001", "eac-over-budget", WARNING)
def eac_over_budget(ctx):
    """EAC exceeds budget.

    The estimate at completion (EAC = BAC / CPI: the planned cost of the work at the
    cost efficiency so far) is above the budget: ``project.budget`` when it is given (it
    may hold a management reserve above the task budgets), else the budget at completion
    (BAC, the sum of the task budgets).  Costs come from the ``costs`` ledger up to the
    status date, earned value from task progress (SPEC §4).  Not checked while CPI is
    undefined (nothing spent or nothing earned yet).

    Bad:
        project: {id: erp, name: ERP, start: 2026-09-01, budget: 100000}
        tasks:
          - {id: build, name: Build, duration: 20d, progress: 50, actual_start: 2026-09-01}
        costs:
          - {date: 2026-09-30, amount: 80000}
    Good:
        project: {id: erp, name: ERP, start: 2026-09-01, budget: 100000}
        tasks:
          - {id: build, name: Build, duration: 20d, progress: 50, actual_start: 2026-09-01}
        costs:
          - {date: 2026-09-30, amount: 45000}
    """
    from kapm.status import earned_value

    evm = earned_value(ctx.result, ctx.as_of)  # cached per project and status date
    if evm is None:
        return
    p = ctx.project.project
    bac, eac = getattr(evm, "bac", None), getattr(evm, "eac", None)
    budget = p.budget if p.budget is not None else bac
    if eac is None or not budget or eac <= budget * 1.0005:
        return
    cur = f" {p.currency}" if p.currency else ""
    cpi = getattr(evm, "cpi", None)
    extra = f"CPI {cpi:.2f}" if isinstance(cpi, (int, float)) else ""
    if p.budget is not None and bac and abs(bac - p.budget) > 0.5:
        extra += f"{', ' if extra else ''}task budgets (BAC) {_money(bac)}"
    over = eac - budget
    what = "the budget" if p.budget is not None else "the budget at completion (BAC)"
    path = p.path + ("budget",) if p.budget is not None else p.path + ("id",)
    yield Hit(f"forecast cost at completion (EAC) {_money(eac)}{cur} exceeds {what} {_money(budget)}{cur} "
              f"by {_money(over)} ({over / budget:.1%}{'; ' + extra if extra else ''}); "
              "the project will overrun unless cost efficiency improves",
              path, "cut remaining cost, raise a change request, or agree a new budget")


def _reached(ctx, pay):
    """(date, why) when a payment milestone is reached on or before the status date, else None."""
    as_of = ctx.as_of
    if pay.due is not None and pay.due < as_of:
        return pay.due, f"was due on {pay.due}"
    if pay.milestone:
        node = ctx.wbs.by_id.get(pay.milestone)
        if node is not None:
            t = node.task
            if t.actual_finish is not None and t.actual_finish <= as_of:
                return t.actual_finish, f"milestone '{t.id}' was reached on {t.actual_finish}"
            if t.actual_finish is None and t.progress == 100:
                return as_of, f"milestone '{t.id}' is done"
    return None


@rule("B002", "payment-not-invoiced", WARNING)
def payment_not_invoiced(ctx):
    """Payment milestone reached but not invoiced.

    A payment is reached when its ``due`` date has passed, or when its ``milestone``
    task is done (``actual_finish`` on or before the status date, or progress 100).  Until
    it is ``invoiced`` the client's payment term does not even start to run.

    Bad:
        contract:
          value: 1000000
          payments:
            - {id: PAY-1, amount: "30%", due: 2026-09-01}
    Good:
        contract:
          value: 1000000
          payments:
            - {id: PAY-1, amount: "30%", due: 2026-09-01, invoiced: 2026-09-01}
    """
    c = ctx.project.contract
    if c is None:
        return
    cur = ctx.project.project.currency
    for pay in c.payments:
        if pay.invoiced is not None and pay.invoiced <= ctx.as_of:
            continue
        reached = _reached(ctx, pay)
        if reached is None:
            continue
        money = pay.money(c.value)
        amount = f" ({_money(money)}{' ' + cur if cur else ''})" if money is not None else ""
        yield Hit(f"payment '{pay.id}'{amount} {reached[1]} but is not invoiced; "
                  "the payment term only starts with the invoice, so cash comes late",
                  pay.path + ("id",), "send the invoice and record invoiced: <date>")


@rule("B003", "contract-below-budget", WARNING)
def contract_below_budget(ctx):
    """Contract value below budget.

    The ``contract.value`` (what the client pays) is lower than ``project.budget`` (what
    delivery is planned to cost): the project loses money even if everything goes to
    plan.  Checked only when both are given.

    Bad:
        project: {id: erp, name: ERP, start: 2026-09-01, budget: 1200000}
        contract: {value: 1000000}
    Good:
        project: {id: erp, name: ERP, start: 2026-09-01, budget: 1200000}
        contract: {value: 1500000}
    """
    p = ctx.project.project
    c = ctx.project.contract
    if c is None or c.value is None or p.budget is None or c.value >= p.budget:
        return
    cur = f" {p.currency}" if p.currency else ""
    yield Hit(f"contract value {_money(c.value)}{cur} is below the budget {_money(p.budget)}{cur} "
              f"by {_money(p.budget - c.value)}; the project loses money even when delivered to plan",
              c.path + ("value",), "renegotiate the price, reduce the scope or the budget, or get a margin waiver")
