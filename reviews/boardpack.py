"""The review-work section of the board pack: proposals decided, staff time saved by Auto
policies, and how many proposals needed a manager (the escalation rate)."""

from datetime import date

from common.boardpack import Figure, Section, SectionProvider, percent, register_section


def reviews_section(month: date) -> Section:
    from reviews.selectors import review_metrics

    rows = review_metrics(days=31)
    proposed = sum(r["proposed"] for r in rows)
    decided = sum(r["decided"] or 0 for r in rows)
    escalated = sum(r["escalated"] for r in rows)
    minutes = sum(r["staff_minutes_saved_estimate"] for r in rows)
    rate = percent(escalated / proposed if proposed else None)
    hours = f"{minutes / 60:.1f} hours"
    figures = [
        Figure("proposals", "Proposals (last 31 days)", str(proposed), f"{decided} decided"),
        Figure("staff_time_saved", "Staff time saved", hours, f"{minutes} minutes by Auto"),
        Figure("escalation_rate", "Escalation rate", rate, f"{escalated} to a manager"),
    ]
    table = [["Kind", "Proposed", "Decided", "Auto", "Escalated"]] + [
        [r["kind"], str(r["proposed"]), str(r["decided"]), str(r["auto"]), str(r["escalated"])]
        for r in rows
    ]
    sentence = (
        f"Staff reviewed {decided} of {proposed} proposals; Auto policies saved about {hours} "
        f"and {rate} of proposals needed a manager."
    )
    return Section("reviews", "Review work", figures, sentence, table=table)


register_section(SectionProvider("reviews", "Review work", 30, reviews_section))
