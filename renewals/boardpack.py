"""The renewals section of the board pack: renewal rate of members offered outreach, the
hold-out group's, and the lift between them with its 95 % confidence interval."""

import calendar
from datetime import date

from common.boardpack import Figure, Section, SectionProvider, percent, register_section
from common.svgcharts import Series, chart_svg


def _points(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:+.1f} points"


def renewals_section(month: date) -> Section:
    from renewals.dashboard import lift_vs_holdout

    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    data = lift_vs_holdout(today=end)
    treated, held, lift = data["outreach"], data["holdout"], data["lift"]
    rate, held_rate = percent(treated["rate"]), percent(held["rate"])
    figures = [
        Figure("renewal_rate", "Renewal rate (outreach)", rate, f"{treated['decided']} decided"),
        Figure("holdout_rate", "Renewal rate (hold-out)", held_rate, f"{held['decided']} decided"),
    ]
    if lift:
        interval = f"{_points(lift['low'])} to {_points(lift['high'])}"
        figures += [
            Figure("lift", "Lift over the hold-out", _points(lift["difference"])),
            Figure("lift_ci", "95 % confidence interval", interval),
        ]
        sentence = (
            f"Members offered outreach renewed at {rate} against {held_rate} in the hold-out "
            f"group, a lift of {_points(lift['difference'])} ({interval})."
        )
    else:
        figures.append(Figure("lift", "Lift over the hold-out", "n/a", "no decided terms yet"))
        sentence = f"Renewal rate with outreach {rate}; no hold-out comparison yet."
    chart = chart_svg(
        title="Renewal rate: outreach against hold-out (%)",
        labels=["Outreach", "Hold-out"],
        series=[
            Series(
                "Renewed (%)",
                [
                    None if treated["rate"] is None else treated["rate"] * 100,
                    None if held["rate"] is None else held["rate"] * 100,
                ],
            )
        ],
        percent=True,
        height=200,
    )
    return Section("renewals", "Renewals", figures, sentence, chart)


register_section(SectionProvider("renewals", "Renewals", 10, renewals_section))
