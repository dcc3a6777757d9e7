"""Words the demo workspace is made of: people, companies, titles, and the reasons teams give.

The demo team sells finance software (forecasting, spend analytics, close automation) to
finance departments; its marketing team feeds the sales team. Every name is fictional.
"""

from __future__ import annotations

import random
from datetime import date

# username, display name, what they do (shown nowhere; it explains the owner tables in demo.py)
PEOPLE = (
    ("alice", "Alice Martin", "head of marketing"),
    ("bob", "Bob Nguyen", "campaign manager"),
    ("carol", "Carol Diaz", "CFO, reads the boards"),
    ("emma", "Emma Schulz", "content writer"),
    ("farid", "Farid Haddad", "designer"),
    ("grace", "Grace Okafor", "events and webinars"),
    ("hugo", "Hugo Lefebvre", "account executive"),
    ("ines", "Inés Castillo", "account executive"),
    ("jamal", "Jamal Reed", "account executive"),
    ("kenji", "Kenji Sato", "account executive"),
    ("lena", "Lena Novak", "sales operations"),
    ("dave", "Dave Kowalski", "partner agency"),
)

EMAIL_DOMAIN = "example.com"

PRODUCTS = ("Forecast", "Spend Analytics", "Close Automation", "Revenue Planning", "Cash Insights")

COMPANIES = (
    "Acme Logistics",
    "Acme Corp",
    "Northwind Traders",
    "Brightline Freight",
    "Kestrel Insurance",
    "Halvorsen Foods",
    "Meridian Health",
    "Bluewater Shipping",
    "Orchard Retail",
    "Ironbridge Steel",
    "Copperleaf Energy",
    "Lumen Pharma",
    "Granite Bank",
    "Silverpine Hotels",
    "Tidewater Ports",
    "Redwood Capital",
    "Nordlicht Media",
    "Alpenrose Dairy",
    "Castello Fashion",
    "Vantage Telecom",
    "Helix Biotech",
    "Summit Construction",
    "Oakridge Schools",
    "Falcon Aerospace",
    "Riverside Clinics",
    "Quarry Materials",
    "Beacon Software",
    "Harbor Foods",
    "Pioneer Agritech",
    "Crescent Airlines",
    "Sterling Legal",
    "Evergreen Packaging",
    "Atlas Mobility",
    "Polaris Chemicals",
    "Cobalt Mining",
    "Willow Care Homes",
    "Zephyr Wind",
    "Marigold Cosmetics",
    "Sequoia Timber",
    "Lighthouse Insurance",
    "Fjord Seafood",
    "Oberland Machines",
    "Solstice Travel",
    "Keystone Utilities",
    "Juniper Labs",
    "Horizon Rail",
    "Paragon Print",
    "Vireo Robotics",
    "Monarch Furniture",
    "Sable Security",
)

THEMES = (
    "pipeline forecasting for CFOs",
    "month-end close in three days",
    "spend visibility for procurement",
    "rolling forecasts without spreadsheets",
    "cash flow forecasting basics",
    "driver-based budgeting",
    "scenario planning for volatile markets",
    "audit-ready month-end",
    "zero-based budgeting in practice",
    "finance and sales on one forecast",
    "headcount planning that holds",
    "board reporting in an afternoon",
)

AUDIENCES = (
    "CFOs",
    "FP&A teams",
    "controllers",
    "procurement leaders",
    "mid-market finance teams",
    "finance operations",
    "revenue leaders",
)

INDUSTRIES = (
    "manufacturing",
    "retail",
    "healthcare",
    "logistics",
    "SaaS",
    "hospitality",
    "financial services",
    "construction",
)

REGIONS = ("DACH", "Nordics", "UK & Ireland", "Benelux", "France", "Iberia", "North America")

CITIES = (
    "Berlin",
    "Munich",
    "London",
    "Amsterdam",
    "Paris",
    "Madrid",
    "Stockholm",
    "Zurich",
    "Vienna",
    "Dublin",
    "Milan",
    "Copenhagen",
    "Boston",
    "Chicago",
)

SHOWS = (
    "CFO Forum",
    "Finance Transformation Summit",
    "FP&A Live",
    "Procurement Leaders Week",
    "Controllers Congress",
    "SaaS Finance Days",
)

ROLES = (
    "CFO",
    "VP Finance",
    "Head of FP&A",
    "Group controller",
    "Procurement lead",
    "Finance director",
    "Treasurer",
)

LEAD_SOURCES = (
    "webinar lead",
    "trade show scan",
    "demo request",
    "whitepaper download",
    "referral",
    "pricing page visit",
)

DEAL_KINDS = ("new business", "renewal", "expansion", "pilot", "upgrade")

SCOPES = (
    "group-wide rollout",
    "EMEA subsidiaries",
    "finance team pilot",
    "multi-entity close",
    "procurement roll-out",
    "second business unit",
)


def _month(d: date) -> str:
    return d.strftime("%B")


def _quarter(d: date) -> str:
    return f"Q{(d.month - 1) // 3 + 1}"


def title(rng: random.Random, work_type: str, planned: date) -> str:
    """A believable title for an item of `work_type`, planned for around `planned`."""
    c = rng.choice
    q = _quarter(planned)
    if work_type == "Campaign":
        return c(
            (
                lambda: f"{q} campaign: {c(THEMES)}",
                lambda: f"{c(PRODUCTS)} launch — {c(REGIONS)}",
                lambda: f"ABM: {c(COMPANIES)} and {rng.randint(8, 40)} lookalike accounts",
                lambda: f"Nurture sequence: {c(AUDIENCES)}",
                lambda: f"Retargeting: {c(SHOWS)} attendees",
                lambda: f"Partner co-marketing with {c(COMPANIES)}",
            )
        )()
    if work_type == "Content":
        return c(
            (
                lambda: f"Case study: {c(COMPANIES)}",
                lambda: f"Blog post: {c(THEMES)}",
                lambda: f"Whitepaper: {c(THEMES)}",
                lambda: f"One-pager: {c(PRODUCTS)} for {c(INDUSTRIES)}",
                lambda: f"Customer video: {c(COMPANIES)}",
                lambda: f"Sales deck refresh: {c(PRODUCTS)}",
                lambda: f"Newsletter — {_month(planned)} issue",
                lambda: f"Comparison page: {c(PRODUCTS)} vs spreadsheets",
                lambda: f"ROI calculator: {c(PRODUCTS)}",
            )
        )()
    if work_type == "Event":
        return c(
            (
                lambda: f"{c(SHOWS)} {planned.year} — {c(CITIES)} booth",
                lambda: f"Customer roundtable: {c(CITIES)}",
                lambda: f"Executive dinner — {c(CITIES)}",
                lambda: f"User group meetup: {c(CITIES)}",
            )
        )()
    if work_type == "Webinar":
        return c(
            (
                lambda: f"{q} webinar: {c(THEMES)} for {c(AUDIENCES)}",
                lambda: f"Webinar with {c(COMPANIES)}: {c(THEMES)}",
                lambda: f"Live demo: {c(PRODUCTS)} for {c(INDUSTRIES)}",
            )
        )()
    if work_type == "Deal":
        return c(
            (
                lambda: (
                    f"{c(COMPANIES)} — {rng.choice((25, 40, 60, 80, 120, 150, 250, 400))} seats "
                    f"{c(DEAL_KINDS)}"
                ),
                lambda: f"{c(COMPANIES)} — {c(PRODUCTS)} {c(DEAL_KINDS)}",
            )
        )()
    if work_type == "Proposal":
        return c(
            (
                lambda: f"RFP response: {c(COMPANIES)} {c(PRODUCTS)}",
                lambda: f"Proposal: {c(COMPANIES)} {c(SCOPES)}",
            )
        )()
    if work_type == "Lead follow-up":
        return c(
            (
                lambda: f"Follow up: {c(ROLES)} at {c(COMPANIES)} ({c(LEAD_SOURCES)})",
                lambda: f"Inbound demo request — {c(COMPANIES)}",
            )
        )()
    # the partner agency's client work
    return c(
        (
            lambda: f"Social ad set: {c(THEMES)}",
            lambda: f"Landing page copy: {c(PRODUCTS)}",
            lambda: f"Booth design: {c(SHOWS)} {planned.year}",
            lambda: f"Case study layout: {c(COMPANIES)}",
        )
    )()


DESCRIPTIONS = {
    "Campaign": "Goal: qualified pipeline from {audience}. Channels: email, paid social, partner.",
    "Content": "Audience: {audience}. Owner drafts, design lays out, legal checks the claims.",
    "Event": "Budget approved by Alice. Sales to invite their top accounts.",
    "Webinar": "Speaker from a customer, moderated by us. Registration page and reminders.",
    "Deal": "Champion: {role}. Next step agreed in the last call.",
    "Proposal": "Pricing from the standard sheet; discounts above 15% need approval.",
    "Lead follow-up": "Came in as a {source}. Check fit before the first call.",
    "Client request": "Brief from the client's marketing team.",
}


def description(rng: random.Random, work_type: str) -> str:
    text = DESCRIPTIONS.get(work_type, "")
    return text.format(
        audience=rng.choice(AUDIENCES), role=rng.choice(ROLES), source=rng.choice(LEAD_SOURCES)
    )


TAGS = {
    "marketing": ("demand-gen", "brand", "product-launch", "partner", "emea", "north-america", "seo"),
    "sales": ("enterprise", "mid-market", "emea", "dach", "north-america", "inbound", "outbound"),
    "partner": ("design", "copy"),
}

# (reason, category): why work stopped for a while
BLOCKERS = {
    "marketing": (
        ("Waiting for legal review of claims", "Approval"),
        ("Brand team has not approved the visuals", "Approval"),
        ("Speaker not confirmed yet", "External dependency"),
        ("Waiting for product screenshots from the product team", "Internal dependency"),
        ("Venue contract not signed", "External dependency"),
        ("Customer quote needs their PR team's sign-off", "External dependency"),
        ("Agency out of capacity this week", "Capacity"),
        ("Translation vendor late", "External dependency"),
    ),
    "sales": (
        ("Customer on holiday until Monday", "Customer"),
        ("Waiting for the security questionnaire", "Customer"),
        ("Procurement wants a third vendor quote", "Customer"),
        ("Legal redlines on the MSA pending", "Legal"),
        ("Champion left the company; finding a new sponsor", "Customer"),
        ("Discount above 15% needs CFO approval", "Approval"),
        ("Waiting for a reference customer call", "Internal dependency"),
        ("Budget freeze until the next quarter", "Customer"),
    ),
    "partner": (("Waiting for the client's brand guidelines", "Client"),),
}

# The reasons given for the items that are blocked today.
BLOCKED_NOW = {
    "marketing": (
        ("Waiting for legal review of claims", "Approval"),
        ("Speaker not confirmed yet", "External dependency"),
        ("Brand team has not approved the visuals", "Approval"),
        ("Waiting for product screenshots from the product team", "Internal dependency"),
    ),
    "sales": (
        ("Customer on holiday until Monday", "Customer"),
        ("Legal redlines on the MSA pending", "Legal"),
        ("Waiting for the security questionnaire", "Customer"),
        ("Discount above 15% needs CFO approval", "Approval"),
    ),
    "partner": (),
}

# Why an item left the board without being finished, by the stage it left from.
LEAVE_REASONS = {
    "marketing": {
        "Ideas": (
            "Not a priority this quarter",
            "Duplicate of an existing request",
            "Superseded by the quarterly campaign plan",
            "No budget for it this year",
        ),
        "Requested": (
            "Sales no longer needs it",
            "Merged into a bigger campaign",
            "Requester left the company",
        ),
        "*": ("Cancelled: the product launch moved", "Cancelled by the requester"),
    },
    "sales": {
        "Leads": (
            "Not a fit: too small",
            "Not a fit: wrong industry",
            "No response after three attempts",
            "Student or competitor",
            "Existing customer, routed to account management",
        ),
        "Qualified": ("No budget this year", "No decision maker reachable", "Timing: revisit next year"),
        "*": (
            "Lost to a competitor",
            "No decision: project shelved",
            "Lost on price",
            "Went with an in-house build",
            "Budget cut",
        ),
    },
    "partner": {"*": ("Client cancelled",)},
}

EXPIRED = {
    "marketing": "Option expired: nobody pulled it in time",
    "sales": "No response after three follow-ups",
    "partner": "Client cancelled",
}

MISSED_DATE = "The date passed before we could commit to it"

# Reasons given when a reason-mode WIP limit is exceeded on purpose.
OVERRIDES = {
    "marketing": (
        "Launch date is fixed: review it today",
        "Event registration closes on Friday",
        "CEO asked for it before the board meeting",
        "Legal is free now and not next week",
    ),
    "sales": (
        "Customer wants to sign before the quarter ends",
        "Procurement window closes this week",
        "Renewal date is in the contract",
        "Largest deal of the quarter: negotiate it now",
    ),
    "partner": ("Client deadline",),
}
