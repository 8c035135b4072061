//! The real `aws-sdk-partnercentralselling` client against the emulator: every operation, the
//! idempotency, locking and review rules, quotas and faults.
#![allow(clippy::unwrap_used)]

use acebridge_pc_emulator::Emulator;
use aws_sdk_partnercentralselling::Client;
use aws_sdk_partnercentralselling::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_partnercentralselling::error::ProvideErrorMetadata;
use aws_sdk_partnercentralselling::types::{
    Account, AwsSubmission, Customer, LastModifiedDate, LifeCycle, ParticipantType, Project,
    RelatedEntityType, ReviewStatus, SalesInvolvementType, Stage,
};
use serde_json::json;

async fn client() -> (Emulator, Client) {
    let emulator = Emulator::start("127.0.0.1:0", acebridge_clock::TestClock::suite().clock())
        .await
        .unwrap();
    let config = aws_sdk_partnercentralselling::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(emulator.url())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(8))
        .build();
    (emulator, Client::from_conf(config))
}

fn customer(company: &str) -> Customer {
    Customer::builder()
        .account(
            Account::builder()
                .company_name(company)
                .website_url("https://example.com")
                .build()
                .unwrap(),
        )
        .build()
}

fn project(title: &str) -> Project {
    Project::builder()
        .title(title)
        .customer_business_problem("A problem worth twenty chars")
        .build()
}

type UpdateError =
    aws_sdk_partnercentralselling::operation::update_opportunity::UpdateOpportunityError;

/// An UpdateOpportunity of the opportunity `create` made, with `title` and an optional review status.
async fn update(
    c: &Client,
    id: &str,
    lmd: aws_sdk_partnercentralselling::primitives::DateTime,
    title: &str,
    review: Option<ReviewStatus>,
) -> Result<
    aws_sdk_partnercentralselling::operation::update_opportunity::UpdateOpportunityOutput,
    UpdateError,
> {
    let mut req = c
        .update_opportunity()
        .catalog("Sandbox")
        .identifier(id)
        .last_modified_date(lmd)
        .customer(customer("Example Corp"))
        .project(project(title));
    if let Some(r) = review {
        req = req.life_cycle(LifeCycle::builder().review_status(r).build());
    }
    req.send().await.map_err(|e| e.into_service_error())
}

fn validation(e: UpdateError) -> aws_sdk_partnercentralselling::types::error::ValidationException {
    match e {
        UpdateError::ValidationException(v) => v,
        other => panic!("{other:?}"),
    }
}

async fn accept(
    c: &Client,
    id: &str,
    token: &str,
) -> Result<
    aws_sdk_partnercentralselling::operation::start_engagement_by_accepting_invitation_task::StartEngagementByAcceptingInvitationTaskOutput,
    aws_sdk_partnercentralselling::error::SdkError<
        aws_sdk_partnercentralselling::operation::start_engagement_by_accepting_invitation_task::StartEngagementByAcceptingInvitationTaskError,
    >,
>{
    c.start_engagement_by_accepting_invitation_task()
        .catalog("Sandbox")
        .client_token(token)
        .identifier(id)
        .send()
        .await
}

/// AssociateOpportunity or DisassociateOpportunity.
async fn link(
    c: &Client,
    how: &str,
    id: &str,
    kind: RelatedEntityType,
    entity: &str,
) -> Result<(), aws_sdk_partnercentralselling::Error> {
    if how == "associate" {
        c.associate_opportunity()
            .catalog("Sandbox")
            .opportunity_identifier(id)
            .related_entity_type(kind)
            .related_entity_identifier(entity)
            .send()
            .await?;
    } else {
        c.disassociate_opportunity()
            .catalog("Sandbox")
            .opportunity_identifier(id)
            .related_entity_type(kind)
            .related_entity_identifier(entity)
            .send()
            .await?;
    }
    Ok(())
}

/// Polls a task (ListEngagementByAcceptingInvitationTasks or ListEngagementFromOpportunityTasks by its
/// id) until it leaves IN_PROGRESS; its final summary as (status, reason code, opportunity id).
async fn finished(
    c: &Client,
    task_id: &str,
    accept: bool,
) -> (String, Option<String>, Option<String>) {
    // The two List…Tasks outputs share their summaries' accessors, but no type.
    macro_rules! first {
        ($out:expr) => {{
            let out = $out;
            let t = &out.task_summaries()[0];
            (
                t.task_status().unwrap().as_str().to_string(),
                t.reason_code().map(|r| r.as_str().to_string()),
                t.opportunity_id().map(str::to_string),
            )
        }};
    }
    for _ in 0..200 {
        let (status, reason, opportunity) = if accept {
            first!(
                c.list_engagement_by_accepting_invitation_tasks()
                    .catalog("Sandbox")
                    .task_identifier(task_id)
                    .send()
                    .await
                    .unwrap()
            )
        } else {
            first!(
                c.list_engagement_from_opportunity_tasks()
                    .catalog("Sandbox")
                    .task_identifier(task_id)
                    .send()
                    .await
                    .unwrap()
            )
        };
        if status != "IN_PROGRESS" {
            return (status, reason, opportunity);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("task {task_id} never finished");
}

async fn create(c: &Client, token: &str, title: &str) -> String {
    c.create_opportunity()
        .catalog("Sandbox")
        .client_token(token)
        .customer(customer("Example Corp"))
        .project(project(title))
        .life_cycle(
            LifeCycle::builder()
                .stage(Stage::Prospect)
                .target_close_date("2027-01-31")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn create_is_idempotent_on_its_client_token_and_refuses_a_reused_token_with_another_body() {
    let (e, c) = client().await;
    let a = create(&c, "tok-1", "First").await;
    let again = create(&c, "tok-1", "First").await;
    assert_eq!(a, again);
    let err = c
        .create_opportunity()
        .catalog("Sandbox")
        .client_token("tok-1")
        .customer(customer("Example Corp"))
        .project(project("Different"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert_eq!(
        err.message(),
        Some("Conflicting client token submitted for a new request body.")
    );
    let created = e
        .events()
        .iter()
        .filter(|v| v["detail-type"] == json!("Opportunity Created"))
        .count();
    assert_eq!(created, 1);
    // Catalogs are apart.
    let other = c
        .get_opportunity()
        .catalog("AWS")
        .identifier(&a)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(other.is_resource_not_found_exception());
}

#[tokio::test]
async fn update_is_a_full_replace_locked_by_last_modified_date() {
    let (_e, c) = client().await;
    let id = create(&c, "t", "Lock").await;
    let got = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    let lmd = got.last_modified_date;
    let updated = c
        .update_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .last_modified_date(lmd)
        .customer(customer("Example Corp"))
        .project(project("Lock"))
        .life_cycle(LifeCycle::builder().stage(Stage::Qualified).build())
        .send()
        .await
        .unwrap();
    assert!(updated.last_modified_date > lmd);
    let stale = c
        .update_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .last_modified_date(lmd)
        .project(project("Lock"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(stale.is_conflict_exception(), "{stale:?}");
    let now = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(now.life_cycle().unwrap().stage(), Some(&Stage::Qualified));
    assert_eq!(
        now.life_cycle().unwrap().target_close_date(),
        None,
        "full replace: omitted is cleared"
    );
}

#[tokio::test]
async fn submit_then_review_rules_refuse_edits_in_review_and_frozen_fields_after_approval() {
    let (e, c) = client().await;
    e.state().seed(&json!({ "solutions": [{ "Catalog": "Sandbox", "Id": "S-1234567", "Name": "Test solution",
        "Status": "Active", "Category": "Software Product", "CreatedDate": "2024-01-01T00:00:00.000Z" }] })).unwrap();
    let solutions = c.list_solutions().catalog("Sandbox").send().await.unwrap();
    assert_eq!(solutions.solution_summaries()[0].id(), "S-1234567");
    let id = create(&c, "t", "Review").await;
    link(
        &c,
        "associate",
        &id,
        RelatedEntityType::Solutions,
        "S-1234567",
    )
    .await
    .unwrap();
    let task = c
        .start_engagement_from_opportunity_task()
        .catalog("Sandbox")
        .client_token("submit-1")
        .identifier(&id)
        .aws_submission(
            AwsSubmission::builder()
                .involvement_type(SalesInvolvementType::CoSell)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(task.opportunity_id(), Some(id.as_str()));
    // Asynchronous, as AWS runs it: IN_PROGRESS first, a task id of the model's pattern.
    assert_eq!(task.task_status().map(|s| s.as_str()), Some("IN_PROGRESS"));
    let task_id = task.task_id().unwrap();
    assert!(
        task_id.starts_with("task-") && task_id.len() == 18,
        "{task_id}"
    );
    let (status, _, _) = finished(&c, task_id, false).await;
    assert_eq!(status, "COMPLETE");
    let summary = c
        .get_aws_opportunity_summary()
        .catalog("Sandbox")
        .related_opportunity_identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summary.involvement_type().map(|i| i.as_str()),
        Some("Co-Sell")
    );
    let types: Vec<String> = e
        .events()
        .iter()
        .map(|v| v["detail-type"].as_str().unwrap().to_string())
        .collect();
    assert!(
        types.ends_with(&[
            "Opportunity Updated".into(),
            "Engagement Created".into(),
            "Engagement Resource Snapshot Created".into(),
            "Resource Snapshot Created".into(),
            "Engagement Member Added".into(),
            "Engagement Invitation Created".into()
        ]),
        "{types:?}"
    );

    let lmd = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap()
        .last_modified_date;
    let v = validation(update(&c, &id, lmd, "Review", None).await.unwrap_err());
    assert_eq!(v.reason().as_str(), "BUSINESS_VALIDATION_FAILED");
    assert_eq!(v.error_list()[0].code().as_str(), "INVALID_RESOURCE_STATE");

    // The Sandbox simulates AWS's approval with a ReviewStatus update.
    let approved = update(&c, &id, lmd, "Review", Some(ReviewStatus::Approved))
        .await
        .unwrap();
    let v = validation(
        update(&c, &id, approved.last_modified_date, "Renamed", None)
            .await
            .unwrap_err(),
    );
    assert_eq!(v.error_list()[0].field_name(), Some("Project.Title"));
    let types: Vec<String> = e
        .events()
        .iter()
        .map(|v| v["detail-type"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "Opportunity Accepted",
        "Engagement Invitation Accepted",
        "Engagement Member Added",
    ] {
        assert!(types.contains(&t.to_string()), "{t} missing from {types:?}");
    }
    assert_eq!(e.model_violations(), 0);
}

#[tokio::test]
async fn list_filters_by_last_modified_date_and_pages_with_next_token() {
    let (e, c) = client().await;
    for i in 0..45 {
        create(&c, &format!("t{i}"), &format!("Opp {i}")).await;
    }
    let all: Vec<_> = c
        .list_opportunities()
        .catalog("Sandbox")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 45);
    let cut = *all[30].last_modified_date().unwrap();
    let page = c
        .list_opportunities()
        .catalog("Sandbox")
        .max_results(10)
        .last_modified_date(
            LastModifiedDate::builder()
                .after_last_modified_date(cut)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.opportunity_summaries().len(), 10);
    assert!(page.next_token().is_some());
    let rest = c
        .list_opportunities()
        .catalog("Sandbox")
        .max_results(10)
        .last_modified_date(
            LastModifiedDate::builder()
                .after_last_modified_date(cut)
                .build(),
        )
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rest.opportunity_summaries().len(),
        5,
        "on or after the cut: 15 in all"
    );
    assert!(rest.next_token().is_none());
    drop(e);
}

#[tokio::test]
async fn invitations_list_accept_once_by_token_reject_with_valid_reasons() {
    let (e, c) = client().await;
    let spec = |title: &str| {
        json!({ "Catalog": "Sandbox",
        "Invitation": { "Payload": { "OpportunityInvitation": { "ReceiverResponsibilities": ["Co-Sell Facilitator"],
            "Customer": { "CompanyName": "Example Corp", "CountryCode": "US", "Industry": "Software and Internet", "WebsiteUrl": "https://example.com" },
            "Project": { "Title": title, "BusinessProblem": "Needs a partner to migrate its data",
                "TargetCompletionDate": "2027-03-31", "ExpectedCustomerSpend": [] } } } },
        "Opportunity": { "Customer": { "Account": { "CompanyName": "Example Corp" } }, "Project": { "Title": title } } })
    };
    let a = e.state().invite(&spec("Accept me")).unwrap();
    let r = e.state().invite(&spec("Reject me")).unwrap();
    let listed = c
        .list_engagement_invitations()
        .catalog("Sandbox")
        .participant_type(ParticipantType::Receiver)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.engagement_invitation_summaries().len(), 2);
    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().map(|s| s.as_str()), Some("PENDING"));

    let t1 = accept(&c, &a, "acc-1").await.unwrap();
    assert_eq!(t1.task_status().map(|s| s.as_str()), Some("IN_PROGRESS"));
    assert_eq!(t1.opportunity_id(), None);
    let (status, _, opportunity) = finished(&c, t1.task_id().unwrap(), true).await;
    assert_eq!(status, "COMPLETE");
    assert!(opportunity.is_some());
    // The same ClientToken answers the same task, as it is now.
    let t2 = accept(&c, &a, "acc-1").await.unwrap();
    assert_eq!(t1.task_id(), t2.task_id());
    assert_eq!(t2.opportunity_id().map(str::to_string), opportunity);
    let other_token = accept(&c, &a, "acc-2").await.unwrap_err();
    assert!(other_token.into_service_error().is_conflict_exception());
    let tasks = c
        .list_engagement_by_accepting_invitation_tasks()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(tasks.task_summaries().len(), 1);

    let bad = c
        .reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&r)
        .rejection_reason("x".repeat(81))
        .send()
        .await
        .unwrap_err();
    assert!(bad.into_service_error().is_validation_exception());
    // Free text within the model's pattern (1–80 printable characters), e.g. AWS's own example.
    c.reject_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&r)
        .rejection_reason("Duplicate of partner referral")
        .send()
        .await
        .unwrap();
    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&r)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().map(|s| s.as_str()), Some("REJECTED"));
}

#[tokio::test]
async fn spaced_faults_fail_one_call_in_every_spacing_plus_one_until_none_are_left() {
    let (e, c) = client().await;
    let id = create(&c, "t", "Spaced").await;
    e.fail_spaced(2, 3);
    let no_retries = Client::from_conf(
        c.config()
            .to_builder()
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    let mut failed = vec![];
    for i in 1..=12 {
        let got = no_retries
            .get_opportunity()
            .catalog("Sandbox")
            .identifier(&id)
            .send()
            .await;
        if let Err(err) = got {
            assert_eq!(err.code(), Some("InternalServerException"), "call {i}");
            failed.push(i);
        }
    }
    assert_eq!(failed, [4, 8], "three calls through, then one fails, twice");
}

#[tokio::test]
async fn quotas_throttle_and_faults_fail_and_the_sdk_retries_through_both() {
    let (e, c) = client().await;
    let id = create(&c, "t", "Quota").await;
    e.enforce_quotas(true);
    e.fail_next(3);
    // 25 reads in a burst: more than 10/s, and 3 of them hit a 500; the SDK's retries get all through.
    for _ in 0..25 {
        c.get_opportunity()
            .catalog("Sandbox")
            .identifier(&id)
            .send()
            .await
            .unwrap();
    }
    let stats = e.state().stats.clone();
    assert_eq!(stats.faults_served, 3);
    assert!(stats.throttled > 0, "{stats:?}");
    // A write over 1/s is throttled with the service's error shape.
    let err = {
        let mut state = e.state();
        state
            .admit("AssignOpportunity")
            .and_then(|()| state.admit("AssignOpportunity"))
            .unwrap_err()
    };
    assert_eq!((err.status, err.kind), (429, "ThrottlingException"));
}

#[tokio::test]
async fn associate_disassociate_and_assign_change_the_record_and_emit_updates_and_slow_mode_slows()
{
    let (e, c) = client().await;
    let id = create(&c, "t", "Links").await;
    for product in ["AmazonS3", "AmazonRedshift"] {
        link(
            &c,
            "associate",
            &id,
            RelatedEntityType::AwsProducts,
            product,
        )
        .await
        .unwrap();
    }
    link(
        &c,
        "disassociate",
        &id,
        RelatedEntityType::AwsProducts,
        "AmazonS3",
    )
    .await
    .unwrap();
    let unknown_solution = link(
        &c,
        "associate",
        &id,
        RelatedEntityType::Solutions,
        "S-0000000",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        unknown_solution,
        aws_sdk_partnercentralselling::Error::ResourceNotFoundException(_)
    ));
    c.assign_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .assignee(
            aws_sdk_partnercentralselling::types::AssigneeContact::builder()
                .email("owner@example.com")
                .first_name("Olive")
                .last_name("Owner")
                .business_title("PartnerAccountManager")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    let linked = got.related_entity_identifiers().unwrap().aws_products();
    assert_eq!(linked, ["AmazonRedshift"]);
    assert_eq!(got.opportunity_team()[0].email(), Some("owner@example.com"));
    let updates = e
        .events()
        .iter()
        .filter(|v| v["detail-type"] == json!("Opportunity Updated"))
        .count();
    assert_eq!(updates, 4);

    e.state().faults.delay_ms = 300;
    let start = std::time::Instant::now();
    c.get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert!(start.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn a_task_planned_to_fail_ends_failed_with_its_reason_and_changes_nothing() {
    let (e, c) = client().await;
    let id = e
        .state()
        .invite(&json!({ "Catalog": "Sandbox",
            "Invitation": { "Payload": { "OpportunityInvitation": { "ReceiverResponsibilities": ["Co-Sell Facilitator"],
                "Customer": { "CompanyName": "Example Corp", "CountryCode": "US", "Industry": "Software and Internet", "WebsiteUrl": "https://example.com" },
                "Project": { "Title": "Fails", "BusinessProblem": "Needs a partner to migrate its data",
                    "TargetCompletionDate": "2027-03-31", "ExpectedCustomerSpend": [] } } } },
            "Opportunity": { "Customer": { "Account": { "CompanyName": "Example Corp" } }, "Project": { "Title": "Fails" } } }))
        .unwrap();
    {
        let mut s = e.state();
        s.task_plan.delay_ms = 50;
        s.task_plan.failures.push_back((
            "InvitationAccessDenied".into(),
            "the receiver may not accept".into(),
        ));
    }
    let t = accept(&c, &id, "fail-1").await.unwrap();
    assert_eq!(t.task_status().map(|s| s.as_str()), Some("IN_PROGRESS"));
    let (status, reason, opportunity) = finished(&c, t.task_id().unwrap(), true).await;
    assert_eq!(
        (status.as_str(), reason.as_deref(), opportunity),
        ("FAILED", Some("InvitationAccessDenied"), None)
    );
    let got = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().map(|s| s.as_str()), Some("PENDING"));
    assert_eq!(e.model_violations(), 0);
}

#[tokio::test]
async fn iam_refuses_what_the_callers_policy_does_not_allow_and_the_other_catalog() {
    let (e, c) = client().await;
    // The client signs with access key "local".
    e.allow(
        "local",
        &[
            json!({ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow",
            "Action": ["partnercentral:ListOpportunities"], "Resource": "*",
            "Condition": { "StringEquals": { "partnercentral:Catalog": "Sandbox" } } }] }),
        ],
    )
    .unwrap();
    c.list_opportunities()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    let denied = c
        .list_opportunities()
        .catalog("AWS")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(denied.is_access_denied_exception(), "{denied:?}");
    let denied = c
        .create_opportunity()
        .catalog("Sandbox")
        .client_token("t")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(denied.is_access_denied_exception(), "{denied:?}");
    assert!(
        denied
            .meta()
            .message()
            .unwrap()
            .contains("partnercentral:CreateOpportunity")
    );
}

#[tokio::test]
async fn origin_aws_referral_is_refused_in_the_aws_catalog_as_the_model_documents() {
    let (_e, c) = client().await;
    let refused = c
        .create_opportunity()
        .catalog("AWS")
        .client_token("origin-1")
        .origin(aws_sdk_partnercentralselling::types::OpportunityOrigin::AwsReferral)
        .customer(customer("Example Corp"))
        .project(project("Referral"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let aws_sdk_partnercentralselling::operation::create_opportunity::CreateOpportunityError::ValidationException(v) = refused else {
        panic!("{refused:?}")
    };
    assert_eq!(v.error_list()[0].field_name(), Some("Origin"));
}

/// The lead flow of AWS's sample (leadToOpportunity): a lead invitation, accepted with
/// AcceptEngagementInvitation, read with GetEngagement / ListEngagements, qualified with
/// UpdateEngagementContext (locked by the engagement's ModifiedAt), converted with
/// StartOpportunityFromEngagementTask.
#[tokio::test]
async fn a_lead_is_invited_accepted_qualified_under_its_lock_and_converted() {
    use aws_sdk_partnercentralselling::types::{
        EngagementContextType, LeadContact, LeadCustomer, LeadInteraction,
        UpdateEngagementContextPayload, UpdateLeadContext,
    };
    let (e, c) = client().await;
    let spec: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/partner-central/lead-invitation.json"
    ))
    .unwrap();
    let id = e.state().invite(&spec).unwrap();
    let inv = c
        .get_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        inv.payload_type().map(|p| p.as_str()),
        Some("LeadInvitation")
    );
    let lead = inv.payload().unwrap().as_lead_invitation().unwrap();
    assert_eq!(lead.customer().unwrap().company_name(), "Example Lead Corp");
    let engagement = inv.engagement_id().unwrap().to_string();
    let created = e.events().last().cloned().unwrap();
    assert_eq!(
        created["detail"]["engagementInvitation"]["payloadType"],
        "LeadInvitation"
    );
    // Not a member yet: the engagement is not readable.
    let hidden = c
        .get_engagement()
        .catalog("Sandbox")
        .identifier(&engagement)
        .send()
        .await;
    assert!(
        hidden
            .unwrap_err()
            .into_service_error()
            .is_resource_not_found_exception()
    );
    // The opportunity-invitation task is not how a lead is accepted.
    let wrong = accept(&c, &id, "wrong-op").await.unwrap();
    let (status, reason, _) = finished(&c, wrong.task_id().unwrap(), true).await;
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("FAILED", Some("InvitationValidationFailed"))
    );

    c.accept_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    let again = c
        .accept_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await;
    assert!(
        again
            .unwrap_err()
            .into_service_error()
            .is_conflict_exception()
    );
    let listed = c
        .list_engagements()
        .catalog("Sandbox")
        .context_types(EngagementContextType::Lead)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.engagement_summary_list().len(), 1);
    let got = c
        .get_engagement()
        .catalog("Sandbox")
        .identifier(&engagement)
        .send()
        .await
        .unwrap();
    let context = &got.contexts()[0];
    assert_eq!(context.r#type().as_str(), "Lead");
    let lead = context.payload().unwrap().as_lead().unwrap();
    assert_eq!(lead.interactions().len(), 1);
    let at = *got.modified_at().unwrap();

    let payload = |status: &str| {
        UpdateEngagementContextPayload::Lead(
            UpdateLeadContext::builder()
                .qualification_status(status)
                .customer(
                    LeadCustomer::builder()
                        .company_name("Example Lead Corp")
                        .build()
                        .unwrap(),
                )
                .interaction(
                    LeadInteraction::builder()
                        .customer_action("Call")
                        .business_problem("Wants a migration plan")
                        .contact(
                            LeadContact::builder()
                                .business_title("Head of Data Platform")
                                .email("data.lead@lead.example.com")
                                .first_name("Alex")
                                .last_name("Example")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build(),
        )
    };
    let updated = c
        .update_engagement_context()
        .catalog("Sandbox")
        .engagement_identifier(&engagement)
        .context_identifier("1")
        .engagement_last_modified_at(at)
        .r#type(EngagementContextType::Lead)
        .payload(payload("Qualified"))
        .send()
        .await
        .unwrap();
    assert!(*updated.engagement_last_modified_at() > at);
    // The same lock again is stale.
    let stale = c
        .update_engagement_context()
        .catalog("Sandbox")
        .engagement_identifier(&engagement)
        .context_identifier("1")
        .engagement_last_modified_at(at)
        .r#type(EngagementContextType::Lead)
        .payload(payload("Disqualified"))
        .send()
        .await;
    assert!(
        stale
            .unwrap_err()
            .into_service_error()
            .is_conflict_exception()
    );

    let started = c
        .start_opportunity_from_engagement_task()
        .catalog("Sandbox")
        .client_token("convert-1")
        .identifier(&engagement)
        .context_identifier("1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        started.task_status().map(|s| s.as_str()),
        Some("IN_PROGRESS")
    );
    let task = started.task_id().unwrap().to_string();
    let mut done = None;
    for _ in 0..100 {
        let l = c
            .list_opportunity_from_engagement_tasks()
            .catalog("Sandbox")
            .task_identifier(&task)
            .send()
            .await
            .unwrap();
        let s = &l.task_summaries()[0];
        if s.task_status().map(|s| s.as_str()) != Some("IN_PROGRESS") {
            done = Some(s.clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let done = done.unwrap();
    assert_eq!(done.task_status().map(|s| s.as_str()), Some("COMPLETE"));
    let opp = done.opportunity_id().unwrap();
    let o = c
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(opp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        o.customer().unwrap().account().unwrap().company_name(),
        "Example Lead Corp"
    );
    assert_eq!(
        o.project().unwrap().customer_business_problem(),
        Some("Wants a migration plan")
    );
    let after = c
        .get_engagement()
        .catalog("Sandbox")
        .identifier(&engagement)
        .send()
        .await
        .unwrap();
    assert_eq!(after.contexts().len(), 2);
    assert_eq!(e.model_violations(), 0);
}

/// Time is the emulator's clock (the test's): an opportunity invitation and a lead invitation are PENDING
/// until their `ExpirationDate` (15 days after they were sent), then EXPIRED with AWS's `Engagement
/// Invitation Expired` event; an accept after it is refused with `ConflictException` (an error the model
/// lists for StartEngagementByAcceptingInvitationTask and AcceptEngagementInvitation), one second before it
/// is not. The clock is moved, never waited on.
#[tokio::test]
async fn invitations_expire_at_their_expiration_date_on_the_emulator_s_clock() {
    use chrono::TimeZone;
    let t0 = chrono::Utc.with_ymd_and_hms(2028, 2, 14, 9, 30, 0).unwrap();
    let clock = acebridge_clock::TestClock::at(t0);
    let e = Emulator::start_on("127.0.0.1:0", &clock).await.unwrap();
    let config = aws_sdk_partnercentralselling::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(e.url())
        .build();
    let c = Client::from_conf(config);
    let opportunity = json!({ "Catalog": "Sandbox",
        "Invitation": { "Payload": { "OpportunityInvitation": { "ReceiverResponsibilities": ["Co-Sell Facilitator"],
            "Customer": { "CompanyName": "Example Corp", "CountryCode": "US", "Industry": "Software and Internet", "WebsiteUrl": "https://example.com" },
            "Project": { "Title": "Expiring", "BusinessProblem": "Needs a partner to migrate its data",
                "TargetCompletionDate": "2028-06-30", "ExpectedCustomerSpend": [] } } } },
        "Opportunity": { "Customer": { "Account": { "CompanyName": "Example Corp" } }, "Project": { "Title": "Expiring" } } });
    let lead: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/partner-central/lead-invitation.json"
    ))
    .unwrap();
    let (o, l, kept) = {
        let mut s = e.state();
        (
            s.invite(&opportunity).unwrap(),
            s.invite(&lead).unwrap(),
            s.invite(&opportunity).unwrap(),
        )
    };
    let status = |id: String| {
        let c = c.clone();
        async move {
            let got = c
                .get_engagement_invitation()
                .catalog("Sandbox")
                .identifier(&id)
                .send()
                .await
                .unwrap();
            (
                got.status().map(|s| s.as_str().to_string()),
                got.expiration_date().map(|d| d.secs()),
            )
        }
    };
    let expires = t0 + chrono::Duration::days(15);
    assert_eq!(
        status(o.clone()).await,
        (Some("PENDING".into()), Some(expires.timestamp()))
    );
    // One second before: still pending, and an accept is taken.
    clock.set(expires - chrono::Duration::seconds(1));
    assert_eq!(status(l.clone()).await.0.as_deref(), Some("PENDING"));
    let task = accept(&c, &kept, "before-expiry").await.unwrap();
    let (done, _, _) = finished(&c, task.task_id().unwrap(), true).await;
    assert_eq!(done, "COMPLETE");
    // A second later (each invitation's ExpirationDate is its own send time, a millisecond apart, plus 15
    // days): expired, with AWS's event, and an accept is a conflict.
    clock.set(expires + chrono::Duration::seconds(1));
    assert_eq!(status(o.clone()).await.0.as_deref(), Some("EXPIRED"));
    assert_eq!(status(l.clone()).await.0.as_deref(), Some("EXPIRED"));
    let expired_events = e
        .events()
        .iter()
        .filter(|ev| ev["detail-type"] == json!("Engagement Invitation Expired"))
        .count();
    assert_eq!(expired_events, 2, "the accepted-in-time one does not lapse");
    let late = accept(&c, &o, "after-expiry").await.unwrap_err();
    assert!(late.into_service_error().is_conflict_exception());
    let late_lead = c
        .accept_engagement_invitation()
        .catalog("Sandbox")
        .identifier(&l)
        .send()
        .await
        .unwrap_err();
    assert!(late_lead.into_service_error().is_conflict_exception());
    assert_eq!(e.state().stats.model_violations, 0);
}
