"""Rules over the registry journal's observed changes (F20).

The governance layer derives each promotion (a change that put a version into a stage or an
alias) from successive observations and judges the promotion policy on the decisions recorded
by the end of the change's window (:class:`~mlops_desktop.core.governance_facts.PromotionFact`).
A promotion before the journal's first observation is not seen; F1 judges the current state.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlops_desktop.core.findings.context import Draft, VersionContext


def _covered_target(ctx: VersionContext, target: str, scope: str) -> bool:
    """A target the policy covers: one it names, or a production stage or alias its defaults apply to."""
    if scope == "explicit":
        return True
    if scope != "defaults":
        return False
    production = {t.lower() for t in (*ctx.settings.production_stages, *ctx.settings.production_aliases)}
    return target.lower() in production


def f20_promotion_without_decision(ctx: VersionContext) -> Iterator[Draft]:
    for p in ctx.promotions:
        if p.satisfied or not _covered_target(ctx, p.target, p.policy_scope):
            continue
        why = p.explanation or "no decision for that target was recorded by then"
        yield Draft(
            ctx.uri,
            f"{p.change}. The promotion policy for {p.target} was not met by the decisions recorded by "
            f"{p.before_time}: {why}",
            f"Record the missing decisions for {p.target} (approve --target {p.target}) and find out why the "
            "registry was changed without them; until then treat the promotion as unauthorised.",
            models=(ctx.model.name,),
            approvals=p.counted,
            part=f"{p.target}@{p.before_time}",
        )
