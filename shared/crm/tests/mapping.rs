//! The field-mapping configuration: directions, picklists, fallbacks, and broken configurations
//! rejected with the line and the field.

use acebridge_crm::config::{CrmKind, Direction, MappingConfig};
use acebridge_crm::paths::Kind;
use acebridge_crm::transform::{self, SyncFields};
use acebridge_mapping::Opportunity;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

const CONFIG: &str = r#"
crm: salesforce
opportunity:
  object: Opportunity
  aws_id_field: AWS_Opportunity_Id__c
  submit: { crm: Submit_to_AWS__c, involvement_type: Co-Sell, visibility: Full }
  fields:
    - { canonical: project.title, crm: Name, direction: both }
    - { canonical: life_cycle.review_status, crm: AWS_Review_Status__c, direction: aws_to_crm }
    - { canonical: project.business_problem, crm: Description, direction: crm_to_aws, fallback: { field: project.title } }
    - { canonical: life_cycle.next_steps, crm: NextStep, direction: none }
    - canonical: life_cycle.stage
      crm: StageName
      picklist: { Prospect: Prospecting, Qualified: Qualification, Launched: Closed Won }
      crm_to_aws: { Prospecting: Prospect, Qualification: Qualified, Closed Won: Launched, Needs Analysis: Qualified }
    - { canonical: life_cycle.target_close_date, crm: CloseDate, type: date, fallback: { date: today+30d } }
    - { canonical: project.delivery_models, crm: Delivery__c, type: list }
    - { canonical: "project.expected_spend[0].amount", crm: Amount, direction: crm_to_aws, type: number }
    - { canonical: "project.expected_spend[0].currency", fallback: { constant: USD } }
    - { canonical: "project.expected_spend[0].frequency", fallback: { constant: Monthly } }
    - { canonical: "project.expected_spend[0].target_company", fallback: { constant: AWS } }
    - { canonical: customer.company_name, crm: Account.Name, direction: crm_to_aws }
    - { canonical: customer.industry, crm: Account.Industry, direction: crm_to_aws, fallback: { constant: Other } }
    - { canonical: sync.status, crm: AWS_Sync_Status__c, direction: aws_to_crm }
"#;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
}

fn config() -> MappingConfig {
    MappingConfig::parse("test.yaml", CONFIG).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn directions_decide_what_flows_where() {
    let c = config();
    assert_eq!(c.crm, CrmKind::Salesforce);
    let map = c.object(Kind::Opportunity).expect("opportunity");
    let dir = |p: &str| {
        map.fields
            .iter()
            .find(|f| f.canonical == p)
            .map(|f| f.direction)
    };
    assert_eq!(dir("project.title"), Some(Direction::Both));
    assert_eq!(
        dir("life_cycle.stage"),
        Some(Direction::Both),
        "default with a crm field"
    );

    let aws = json!({
        "id": "O1234567",
        "project": {"title": "Data lake", "business_problem": "Slow reports"},
        "life_cycle": {"review_status": "Approved", "next_steps": "Call", "stage": "Qualified",
                        "target_close_date": "2027-01-31"},
        "customer": {"company_name": "Example Corp"}
    });
    let to_crm = transform::to_crm(
        map,
        &aws,
        &SyncFields {
            status: Some("Succeeded".into()),
            message: None,
        },
    );
    assert_eq!(to_crm["Name"], "Data lake", "both → written");
    assert_eq!(
        to_crm["AWS_Review_Status__c"], "Approved",
        "aws_to_crm → written"
    );
    assert_eq!(
        to_crm["AWS_Opportunity_Id__c"], "O1234567",
        "AWS id into aws_id_field"
    );
    assert_eq!(to_crm["AWS_Sync_Status__c"], "Succeeded");
    assert!(
        to_crm.get("Description").is_none(),
        "crm_to_aws → never written"
    );
    assert!(to_crm.get("NextStep").is_none(), "none → never written");
    assert!(to_crm.get("Account.Name").is_none());

    let crm = json!({
        "Id": "006000000000001AAA", "Name": "Data lake v2", "AWS_Review_Status__c": "Rejected",
        "NextStep": "Ignored", "Description": "Needs faster reports", "StageName": "Qualification",
        "CloseDate": "2027-02-28", "Account": {"Name": "Example Corp", "Industry": "Retail"}
    });
    let back = transform::to_canonical(map, &crm, "006000000000001AAA", today());
    assert_eq!(back["project"]["title"], "Data lake v2");
    assert_eq!(back["project"]["business_problem"], "Needs faster reports");
    assert_eq!(
        back["customer"]["company_name"], "Example Corp",
        "related record field read"
    );
    assert!(
        back["life_cycle"].get("review_status").is_none(),
        "aws_to_crm → never read"
    );
    assert!(
        back["life_cycle"].get("next_steps").is_none(),
        "none → never read"
    );
    assert_eq!(back["crm_id"], "006000000000001AAA");
}

#[test]
fn picklists_translate_both_ways_and_many_to_one() {
    let c = config();
    let map = c.object(Kind::Opportunity).expect("opportunity");
    let to_crm = transform::to_crm(
        map,
        &json!({"life_cycle": {"stage": "Launched"}}),
        &SyncFields::default(),
    );
    assert_eq!(to_crm["StageName"], "Closed Won");
    for (crm, aws) in [
        ("Qualification", "Qualified"),
        ("Needs Analysis", "Qualified"),
        ("Closed Won", "Launched"),
    ] {
        let back = transform::to_canonical(map, &json!({"StageName": crm}), "006", today());
        assert_eq!(back["life_cycle"]["stage"], aws, "{crm}");
    }
    // A list goes out as one `;`-separated value and comes back as a list.
    let to_crm = transform::to_crm(
        map,
        &json!({"project": {"delivery_models": ["SaaS or PaaS", "Managed Services"]}}),
        &SyncFields::default(),
    );
    assert_eq!(to_crm["Delivery__c"], "SaaS or PaaS;Managed Services");
    let back = transform::to_canonical(
        map,
        &json!({"Delivery__c": "SaaS or PaaS; Managed Services"}),
        "006",
        today(),
    );
    assert_eq!(
        back["project"]["delivery_models"],
        json!(["SaaS or PaaS", "Managed Services"])
    );
}

#[test]
fn fallbacks_fill_what_aws_requires_before_validation() {
    let c = config();
    let map = c.object(Kind::Opportunity).expect("opportunity");
    // The CRM left the close date, the problem and the industry empty, and gave an amount only.
    let crm = json!({"Name": "Data lake", "Description": "", "Amount": 1200.5,
                     "Account": {"Name": "Example Corp", "Industry": null}});
    let back = transform::to_canonical(map, &crm, "006", today());
    assert_eq!(
        back["life_cycle"]["target_close_date"], "2026-12-22",
        "date: today+30d"
    );
    assert_eq!(
        back["project"]["business_problem"], "Data lake",
        "field: project.title"
    );
    assert_eq!(
        back["customer"]["industry"], "Other",
        "constant, over a null"
    );
    assert_eq!(
        back["project"]["expected_spend"],
        json!([{"amount": "1200.5", "currency": "USD", "frequency": "Monthly", "target_company": "AWS"}])
    );
    // The result reads as a canonical opportunity.
    let o = Opportunity::deserialize(&back).expect("canonical");
    assert_eq!(o.project.expected_spend.value().map(Vec::len), Some(1));
    // A value the CRM has is never replaced by a fallback.
    let crm = json!({"Name": "X", "CloseDate": "2027-03-01T00:00:00.000Z", "Account": {"Industry": "Retail"}});
    let back = transform::to_canonical(map, &crm, "006", today());
    assert_eq!(
        back["life_cycle"]["target_close_date"], "2027-03-01",
        "date-time cut to its date"
    );
    assert_eq!(back["customer"]["industry"], "Retail");
}

#[test]
fn the_submit_rule_reads_the_crm_field() {
    let c = config();
    let map = c.object(Kind::Opportunity).expect("opportunity");
    assert!(transform::wants_submit(
        map,
        &json!({"Submit_to_AWS__c": true})
    ));
    assert!(!transform::wants_submit(
        map,
        &json!({"Submit_to_AWS__c": false})
    ));
    assert!(!transform::wants_submit(map, &json!({})));
}

/// The configuration with `line` (1-based) of CONFIG replaced.
fn broken(line: usize, text: &str) -> String {
    CONFIG
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line { text } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

fn line_of(needle: &str) -> usize {
    CONFIG
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

fn rejected(text: &str) -> acebridge_crm::config::ConfigError {
    MappingConfig::parse("broken.yaml", text).expect_err("must be rejected")
}

#[test]
fn broken_configurations_are_rejected_naming_the_line_and_field() {
    let cases = [
        (
            "project.title",
            "    - { canonical: project.titel, crm: Name, direction: both }",
            "project.titel",
        ),
        (
            "crm: Name",
            "    - { canonical: project.title, crm: Name, direction: sideways }",
            "sideways",
        ),
        (
            "picklist: { Prospect",
            "      picklist: { Prospekt: Prospecting }",
            "Prospekt",
        ),
        (
            "today+30d",
            "    - { canonical: life_cycle.target_close_date, crm: CloseDate, fallback: { date: tomorrow } }",
            "tomorrow",
        ),
        (
            "constant: Other",
            "    - { canonical: customer.industry, crm: Account.Industry, direction: crm_to_aws, fallback: { constant: Widgets } }",
            "Widgets",
        ),
        (
            "currency\", fallback",
            r#"    - { canonical: "project.expected_spend[0].currency", fallback: { constant: USD, date: today } }"#,
            "project.expected_spend[0].currency",
        ),
        (
            "AWS_Review_Status__c",
            "    - { canonical: life_cycle.review_status, crm: AWS_Review_Status__c, direction: aws_to_crm, colour: red }",
            "colour",
        ),
    ];
    for (needle, replacement, named) in cases {
        let line = line_of(needle);
        let e = rejected(&broken(line, replacement));
        assert_eq!(e.line, Some(line), "{needle}: {e}");
        let text = e.to_string();
        assert!(text.starts_with("broken.yaml: "), "{text}");
        assert!(text.contains(&format!("line {line}")), "{text}");
        assert!(text.contains(named), "{text} should name {named}");
        assert!(
            text.contains("opportunity.fields["),
            "{text} should give the path"
        );
    }
}

#[test]
fn rules_across_fields_and_crm_specific_rules_are_checked() {
    // Two mappings fill the same canonical field.
    let text = format!(
        "{CONFIG}    - {{ canonical: project.title, crm: Title__c, direction: crm_to_aws }}\n"
    );
    let e = rejected(&text);
    assert!(
        e.to_string()
            .contains("`project.title` is filled from the CRM twice"),
        "{e}"
    );
    // A Salesforce relationship field cannot be written.
    let line = line_of("Account.Name");
    let e = rejected(&broken(
        line,
        "    - { canonical: customer.company_name, crm: Account.Name, direction: both }",
    ));
    assert_eq!(e.line, Some(line), "{e}");
    assert!(
        e.to_string()
            .contains("`Account.Name` is a relationship field"),
        "{e}"
    );
    // Two AWS values onto one CRM value need crm_to_aws when the field is read back.
    let e = rejected(
        r#"
crm: hubspot
opportunity:
  object: deals
  aws_id_field: aws_opportunity_id
  fields:
    - canonical: life_cycle.stage
      crm: dealstage
      picklist: { Prospect: open, Qualified: open }
"#,
    );
    assert!(e.to_string().contains("maps back to both"), "{e}");
    assert!(e.to_string().contains("line "), "{e}");
    // A sync pseudo-field cannot be sent to AWS; a lead field is not an opportunity field.
    let line = line_of("sync.status");
    let e = rejected(&broken(
        line,
        "    - { canonical: sync.status, crm: AWS_Sync_Status__c, direction: both }",
    ));
    assert_eq!(e.line, Some(line), "{e}");
    let e = rejected(&broken(
        line_of("project.title"),
        "    - { canonical: contact.email, crm: Email }",
    ));
    assert!(
        e.to_string()
            .contains("`contact.email` is not a canonical opportunity field"),
        "{e}"
    );
    // Not YAML at all.
    let e = rejected("crm: salesforce\nopportunity: [\n");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn built_in_configurations_load_by_name_and_files_by_path() {
    for name in ["salesforce-standard", "hubspot-deals", "webhook-canonical"] {
        MappingConfig::load(name).unwrap_or_else(|e| panic!("{e}"));
    }
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mine.yaml");
    std::fs::write(&path, CONFIG).expect("write");
    let c = MappingConfig::load(path.to_str().expect("utf-8")).expect("file");
    assert_eq!(c.crm, CrmKind::Salesforce);
    let e = MappingConfig::load("/no/such/mapping.yaml").expect_err("missing");
    assert!(
        e.to_string().contains("salesforce-standard"),
        "lists the built-ins: {e}"
    );
}

#[test]
fn the_shipped_salesforce_mapping_turns_a_sparse_crm_record_into_a_valid_create() {
    use acebridge_mapping::validate::{self, Context, Format, Intent};
    let c = MappingConfig::load("salesforce-standard").expect("built-in");
    let map = c.object(Kind::Opportunity).expect("opportunity");
    let crm = json!({
        "Id": "006000000000001AAA", "Name": "Data lake for the reporting team", "StageName": "Prospecting",
        "Amount": 5000,
        "Account": {"Name": "Example Corp", "Website": "https://example.com", "Industry": "Banking",
                    "BillingCountryCode": "US", "BillingPostalCode": "98101", "BillingState": "Washington"}
    });
    let back = transform::to_canonical(map, &crm, "006000000000001AAA", today());
    let o = Opportunity::deserialize(&back).expect("canonical");
    let cx = Context {
        today: today(),
        intent: Intent::Create,
        current: None,
        consulting_partner: false,
    };
    let errors = validate::opportunity(&o, Format::Api, &cx);
    assert!(
        errors.is_empty(),
        "fallbacks should make this a valid create: {errors:?}"
    );
    assert_eq!(back["customer"]["industry"], "Financial Services");
    assert_eq!(back["life_cycle"]["stage"], "Prospect");
    // Without the configuration's fallbacks, AWS would refuse it.
    let mut bare = map.clone();
    bare.fields.iter_mut().for_each(|f| f.fallback = None);
    match Opportunity::deserialize(&transform::to_canonical(&bare, &crm, "006", today())) {
        Err(_) => {} // the spend is incomplete: not even a record
        Ok(o) => assert!(!validate::opportunity(&o, Format::Api, &cx).is_empty()),
    }
}

#[test]
fn a_referral_part_needs_a_decision_rule_and_only_it_has_one() {
    let base = "crm: salesforce\nreferral:\n  object: AWS_Referral__c\n  aws_id_field: AWS_Invitation_Id__c\n";
    let e = rejected(&format!(
        "{base}  fields:\n    - {{ canonical: project.title, crm: Title__c, direction: aws_to_crm }}\n"
    ));
    assert!(e.to_string().contains("needs a `decision` rule"), "{e}");
    let ok = MappingConfig::parse(
        "r.yaml",
        &format!("{base}  decision: {{ crm: Decision__c }}\n  fields:\n    - {{ canonical: expires_at, crm: Expires_At__c, direction: aws_to_crm }}\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rule = ok
        .referral
        .as_ref()
        .and_then(|r| r.decision.as_ref())
        .expect("rule");
    assert_eq!(
        (rule.accept.as_str(), rule.reject.as_str()),
        ("Accept", "Reject")
    );
    // An opportunity field is not a referral field; a decision outside `referral` is refused.
    let e = rejected(&format!(
        "{base}  decision: {{ crm: D__c }}\n  fields:\n    - {{ canonical: life_cycle.stage, crm: Stage__c }}\n"
    ));
    assert!(
        e.to_string().contains("not a canonical referral field"),
        "{e}"
    );
    let e = rejected(
        "crm: salesforce\nopportunity:\n  object: Opportunity\n  aws_id_field: X__c\n  decision: { crm: D__c }\n  fields: []\n",
    );
    assert!(
        e.to_string().contains("belongs to the `referral` part"),
        "{e}"
    );
}
