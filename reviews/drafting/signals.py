"""Loads the shipped templates and guardrail rules after migrate, so a fresh database (and a
test database after a flush) has them."""


def seed_drafting_defaults(sender, using="default", **kwargs) -> None:
    from reviews.drafting.templates import seed_default_rules, seed_default_templates

    seed_default_templates()
    seed_default_rules()
