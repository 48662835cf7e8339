"""The proportions of a district year: which services are asked for, how, and how they end.

Weights are relative numbers of applications per year in a district like Jiading (many
company registrations, residence permits and real-estate matters; few construction permits;
a theme counts as one application).  A matter of the demo district missing here still gets
a small share, so every matter of the catalogue appears in a large enough run.
"""

from __future__ import annotations

#: Applications per matter (or ``theme:`` code), relative.
WEIGHTS: dict[str, float] = {
    # 商事登记 — the bulk of the center's work
    "company-registration": 120,
    "individual-business-registration": 60,
    "company-change-registration": 70,
    "company-deregistration": 18,
    "seal-engraving": 20,
    "invoice-application": 45,
    "tax-info-confirmation": 30,
    "theme:open-company": 40,
    # 市场监管 licences
    "food-business-licence": 30,
    "drug-retail-licence": 5,
    "device-2-filing": 5,
    "device-3-licence": 2,
    "health-food-filing": 4,
    "theme:food-drug-licence": 4,
    "theme:open-restaurant": 5,
    # 社会事务 — residents
    "residence-permit": 110,
    "household-migration": 15,
    "exit-entry-documents": 25,
    "resident-id-card": 20,
    "social-security-card": 35,
    "unemployment-benefit": 12,
    "employment-registration": 25,
    "medical-insurance-transfer": 12,
    "offsite-medical-filing": 18,
    "iit-annual-settlement": 20,
    "tax-payment-certificate": 14,
    "marriage-registration": 10,
    "physician-registration": 3,
    "consultation": 15,
    # 不动产
    "property-registration": 30,
    "mortgage-registration": 35,
    "property-info-query": 25,
    "housing-transaction": 15,
    "housing-lease-filing": 25,
    "property-tax": 10,
    "theme:property-transfer": 25,
    # 投资建设 — few, slow, many departments
    "construction-permit": 2,
    "construction-planning-permit": 2,
    "land-use-planning-permit": 2,
    "construction-completion-filing": 2,
    "construction-quality-supervision": 2,
    "civil-defense-construction-approval": 1,
    "civil-defense-completion-filing": 1,
    "enterprise-investment-filing": 3,
    "enterprise-investment-approval": 1,
    "energy-conservation-review": 1,
    "eia-approval": 2,
    "drainage-permit": 4,
    "river-works-approval": 1,
    "green-space-occupation": 2,
    "tree-relocation": 2,
    "road-occupation-permit": 3,
    "presale-permit": 1,
    # other licences
    "public-place-hygiene": 6,
    "medical-institution-registration": 1,
    "radiation-diagnosis-licence": 1,
    "fire-safety-inspection": 5,
    "fire-accident-certification": 1,
    "outdoor-advertising": 4,
    "commercial-performance": 3,
    "entertainment-venue-licence": 1,
    "internet-cafe-licence": 1,
    "publication-retail-licence": 2,
    "road-transport-licence": 3,
    "labour-dispatch-licence": 2,
    "pollutant-discharge-permit": 2,
    "social-organization-registration": 1,
    "private-nonenterprise-registration": 1,
    "agency-assistance": 4,
}
#: The share of a matter missing from WEIGHTS.
DEFAULT_WEIGHT = 1.0

#: Channels where a matter offers all three: online majority, a quarter at the window.
CHANNEL_SHARES = {"online": 0.55, "window": 0.25, "mobile": 0.20}

#: How applications end, drawn once per application (the rest are approved).
REJECT_SHARE = 0.04  # 不予受理 at acceptance
DENY_SHARE = 0.03  # 不予许可 at the decision
WITHDRAW_SHARE = 0.015  # 撤回 by the applicant before a decision
#: 补正: the clerk asks once for a material again at acceptance.
SUPPLEMENT_SHARE = 0.12
#: 容缺受理: of the cases whose matter has a non-key material that may be deferred.
DEFERRAL_SHARE = 0.3
#: 延期: the approver extends the decision limit once.
EXTENSION_SHARE = 0.03
#: Cases the department is slow on, past the promised (and some past the legal) limit.
SLOW_SHARE = 0.07
#: Of the cases whose licence has a paper copy: posted, picked up at the window (else e-only).
POST_SHARE = 0.25
PICKUP_SHARE = 0.30
#: 前台综合受理: minutes a walk-in waits from taking a ticket to its call, and at the window.
WINDOW_WAIT_MINUTES = (2.0, 25.0)
WINDOW_SERVICE_MINUTES = (6.0, 20.0)
#: Applicants who rate a stage they were invited to rate (好差评), and bad ratings among them.
RATING_SHARE = 0.6
BAD_RATING_SHARE = 0.05

#: Themes applied for only by a person (the company does not exist yet).
PERSON_THEMES = frozenset({"open-company", "property-transfer"})
#: Enterprise matters applied for by a person: the enterprise is being founded.
PERSON_FOUNDED = frozenset({"company-registration", "individual-business-registration"})
