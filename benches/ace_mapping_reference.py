"""The plain Python mapping a partner would write in a Lambda for an ACE outbound file: json.loads, then
the obvious field-by-field copy into Partner Central's UpdateOpportunity shape, with the few conversions
the API needs (country name to code, industry name, revenue as a string amount). It validates almost
nothing (acebridge validates every field against AWS's rules): it is the speed bar, not a reference for
correctness.

    python benches/ace_mapping_reference.py FILE [SECONDS]

prints one line of JSON: {"records_per_second": …, "records": …, "iterations": …,
"loads_only_records_per_second": …} (the last: json.loads alone, no mapping). Run by
`cargo bench -p acebridge-mapping` (shared/mapping/benches/ace_file.rs) on the same bytes.
"""
import json
import sys
import time

COUNTRIES = {"United States": "US", "Canada": "CA", "United Kingdom": "GB", "Germany": "DE", "India": "IN",
             "Japan": "JP", "France": "FR", "Australia": "AU", "Brazil": "BR"}
INDUSTRIES = {"Software & Internet": "Software and Internet", "Government": "Government"}


def to_api(o):
    return {
        "Catalog": "AWS",
        "Identifier": o.get("apnCrmUniqueIdentifier"),
        "PartnerOpportunityIdentifier": o.get("partnerCrmUniqueIdentifier"),
        "Customer": {
            "Account": {
                "CompanyName": o.get("customerCompanyName"),
                "WebsiteUrl": o.get("customerWebsite"),
                "Industry": INDUSTRIES.get(o.get("industry"), o.get("industry")),
                "OtherIndustry": o.get("industryOther"),
                "Address": {
                    "CountryCode": COUNTRIES.get(o.get("country"), o.get("country")),
                    "StateOrRegion": o.get("state"),
                    "City": o.get("city"),
                    "PostalCode": o.get("postalCode"),
                    "StreetAddress": o.get("streetAddress"),
                },
            },
            "Contacts": [{
                "FirstName": o.get("customerFirstName"),
                "LastName": o.get("customerLastName"),
                "Email": o.get("customerEmail"),
                "Phone": o.get("customerPhone"),
                "BusinessTitle": o.get("customerTitle"),
            }],
        },
        "Project": {
            "Title": o.get("partnerProjectTitle"),
            "CustomerBusinessProblem": o.get("projectDescription"),
            "CustomerUseCase": o.get("useCase"),
            "DeliveryModels": [o.get("deliveryModel")] if o.get("deliveryModel") else [],
            "ExpectedCustomerSpend": [{
                "Amount": str(o.get("expectedMonthlyAwsRevenue") or 0),
                "CurrencyCode": "USD",
                "Frequency": "Monthly",
                "TargetCompany": "AWS",
            }],
            "SalesActivities": [o["salesActivities"]] if isinstance(o.get("salesActivities"), str)
            else (o.get("salesActivities") or []),
            "AdditionalComments": o.get("additionalComments"),
        },
        "LifeCycle": {
            "Stage": o.get("stage"),
            "TargetCloseDate": o.get("targetCloseDate"),
            "NextSteps": o.get("nextStep"),
            "ClosedLostReason": o.get("closedLostReason"),
        },
        "PrimaryNeedsFromAws": [o.get("partnerPrimaryNeedFromAws")] if o.get("partnerPrimaryNeedFromAws") else [],
        "OpportunityType": "Net New Business",
        "Marketing": {"Source": "Marketing Activity" if o.get("isMarketingDevelopmentFunded") == "Yes" else "None"},
    }


def run(data):
    doc = json.loads(data)
    out = [to_api(o) for o in doc.get("opportunities", [])]
    return len(out)


def loads_only(data):
    return len(json.loads(data).get("opportunities", []))


def rate(f, data, seconds):
    n = f(data)
    start = time.perf_counter()
    iterations = 0
    while time.perf_counter() - start < seconds:
        f(data)
        iterations += 1
    return n, iterations, n * iterations / (time.perf_counter() - start)


def main():
    data = open(sys.argv[1], "rb").read()
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    n, iterations, per_second = rate(run, data, seconds)
    # json.loads alone, for the breakdown: how much of the mapping's time is the C parser's.
    _, _, loads_per_second = rate(loads_only, data, seconds / 2)
    print(json.dumps({"records_per_second": per_second, "records": n, "iterations": iterations,
                      "loads_only_records_per_second": loads_per_second}))


if __name__ == "__main__":
    main()
