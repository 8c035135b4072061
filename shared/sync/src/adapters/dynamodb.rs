//! The sync ledger ([`DynamoLedger`]) and the default CRM store ([`DynamoCrmStore`]) on DynamoDB.
//!
//! Both store their documents as native DynamoDB maps (readable in the console), keyed by `pk`, with
//! a `revision` attribute for conditional writes, and one global secondary index each (ledger: by CRM
//! id; store: by ACE id).

use super::classify;
use crate::model::record::{RecordKind, SyncRecord};
use crate::ports::crm::{Crm, CrmRecord, Upsert};
use crate::ports::error::PortError;
use crate::ports::ledger::{
    AwsResult, Conflict, FileEntry, Ledger, LedgerEntry, NoticeMark, RecordKey, SettleHold,
    crm_index_key, hold_key, watermark_key,
};
use acebridge_mapping::{Catalog, merge_json};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;

/// Ledger index on `crm_key`.
pub const LEDGER_CRM_INDEX: &str = "by-crm-id";
/// Store index on `ace_key`.
pub const STORE_ACE_INDEX: &str = "by-ace-id";

type Item = HashMap<String, AttributeValue>;

/// JSON → DynamoDB attribute.
pub fn to_attr(v: Value) -> AttributeValue {
    match v {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s),
        Value::Array(a) => AttributeValue::L(a.into_iter().map(to_attr).collect()),
        Value::Object(m) => {
            AttributeValue::M(m.into_iter().map(|(k, v)| (k, to_attr(v))).collect())
        }
    }
}

/// DynamoDB attribute → JSON.
pub fn from_attr(a: &AttributeValue) -> Value {
    match a {
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::N(n) => serde_json::from_str(n).unwrap_or(Value::String(n.clone())),
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::L(l) => Value::Array(l.iter().map(from_attr).collect()),
        AttributeValue::M(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), from_attr(v))).collect())
        }
        AttributeValue::Ss(s) => Value::Array(s.iter().cloned().map(Value::String).collect()),
        _ => Value::Null,
    }
}

fn to_item<T: Serialize>(doc: &T) -> Result<Item, PortError> {
    match serde_json::to_value(doc) {
        Ok(Value::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k, to_attr(v))).collect()),
        Ok(_) => Err(PortError::permanent(
            "dynamodb",
            "a document must be an object",
        )),
        Err(e) => Err(PortError::permanent("dynamodb", e.to_string())),
    }
}

fn from_item<T: DeserializeOwned>(item: &Item) -> Result<T, PortError> {
    let v = Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), from_attr(v)))
            .collect(),
    );
    serde_json::from_value(v)
        .map_err(|e| PortError::permanent("dynamodb", format!("unreadable item: {e}")))
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A conditional put: `Ok(Err(Conflict))` when the condition fails.
async fn put_if(
    client: &Client,
    table: &str,
    item: Item,
    expected: Option<u64>,
) -> Result<Result<(), Conflict>, PortError> {
    let mut req = client.put_item().table_name(table).set_item(Some(item));
    req = match expected {
        None => req.condition_expression("attribute_not_exists(pk)"),
        Some(r) => req
            .condition_expression("revision = :r")
            .expression_attribute_values(":r", n(r)),
    };
    match req.send().await {
        Ok(_) => Ok(Ok(())),
        Err(SdkError::ServiceError(e))
            if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
        {
            Ok(Err(Conflict))
        }
        Err(e) => Err(classify("dynamodb", "PutItem", e)),
    }
}

/// The items of `keys` that exist (strongly consistent), by BatchGetItem: 100 keys a request, asked
/// again for the keys DynamoDB leaves unprocessed.
async fn batch_get(client: &Client, table: &str, keys: &[String]) -> Result<Vec<Item>, PortError> {
    use aws_sdk_dynamodb::types::KeysAndAttributes;
    let mut items = Vec::new();
    for chunk in keys.chunks(100) {
        let mut wanted = KeysAndAttributes::builder().consistent_read(true);
        for pk in chunk {
            wanted = wanted.keys(HashMap::from([("pk".to_string(), s(pk.clone()))]));
        }
        let wanted = wanted
            .build()
            .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
        let mut request = Some(HashMap::from([(table.to_string(), wanted)]));
        for _ in 0..10 {
            let Some(asked) = request.take() else { break };
            let out = client
                .batch_get_item()
                .set_request_items(Some(asked))
                .send()
                .await
                .map_err(|e| classify("dynamodb", "BatchGetItem", e))?;
            items.extend(out.responses.unwrap_or_default().into_values().flatten());
            request = out.unprocessed_keys.filter(|k| !k.is_empty());
        }
        if request.is_some() {
            return Err(PortError::retryable(
                "dynamodb",
                "BatchGetItem: keys left unprocessed",
            ));
        }
    }
    Ok(items)
}

async fn get(client: &Client, table: &str, pk: &str) -> Result<Option<Item>, PortError> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| classify("dynamodb", "GetItem", e))?;
    Ok(out.item)
}

async fn query_index(
    client: &Client,
    table: &str,
    index: &str,
    attr: &str,
    value: &str,
) -> Result<Vec<Item>, PortError> {
    let out = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression("#k = :v")
        .expression_attribute_names("#k", attr)
        .expression_attribute_values(":v", s(value))
        .send()
        .await
        .map_err(|e| classify("dynamodb", "Query", e))?;
    Ok(out.items.unwrap_or_default())
}

async fn scan_prefix(client: &Client, table: &str, prefix: &str) -> Result<Vec<Item>, PortError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut req = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start);
        if !prefix.is_empty() {
            req = req
                .filter_expression("begins_with(pk, :p)")
                .expression_attribute_values(":p", s(prefix));
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify("dynamodb", "Scan", e))?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return Ok(items),
        }
    }
}

/// The sync ledger on a DynamoDB table (`pk` string hash key; index [`LEDGER_CRM_INDEX`] on `crm_key`).
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: Client,
    table: String,
    retention: Option<chrono::Duration>,
}

/// The attribute DynamoDB's Time to Live reads (epoch seconds; the template enables TTL on it).
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// `expires_at` for an item closed at `closed_at`, when a retention period is set.
fn expiry(
    closed_at: Option<DateTime<Utc>>,
    retention: Option<chrono::Duration>,
) -> Option<AttributeValue> {
    let at = closed_at? + retention?;
    u64::try_from(at.timestamp()).ok().map(n)
}

impl DynamoLedger {
    /// The ledger in `table`; entries of closed records are kept for ever (see [`Self::with_retention`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoLedger {
            client,
            table: table.into(),
            retention: None,
        }
    }

    /// Entries of closed records carry `expires_at` = closed + `retention`, and DynamoDB deletes them
    /// after that (TTL deletes within days of the time, not to the second).
    pub fn with_retention(mut self, retention: Option<chrono::Duration>) -> Self {
        self.retention = retention;
        self
    }

    fn entry_item(&self, entry: &LedgerEntry) -> Result<Item, PortError> {
        let mut item = to_item(entry)?;
        item.insert("pk".into(), s(entry.key.storage_key()));
        if let Some(at) = expiry(entry.closed_at, self.retention) {
            item.insert(TTL_ATTRIBUTE.into(), at);
        }
        if let Some(c) = &entry.crm_id {
            item.insert(
                "crm_key".into(),
                s(crm_index_key(entry.key.kind, entry.key.catalog, c)),
            );
        }
        Ok(item)
    }
}

impl Ledger for DynamoLedger {
    async fn get(&self, key: &RecordKey) -> Result<Option<LedgerEntry>, PortError> {
        get(&self.client, &self.table, &key.storage_key())
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn entries(&self, keys: &[RecordKey]) -> Result<Vec<LedgerEntry>, PortError> {
        // BatchGetItem refuses a request that names a key twice.
        let mut pks: Vec<String> = keys.iter().map(RecordKey::storage_key).collect();
        pks.sort_unstable();
        pks.dedup();
        batch_get(&self.client, &self.table, &pks)
            .await?
            .iter()
            .map(from_item)
            .collect()
    }

    async fn put(
        &self,
        entry: &LedgerEntry,
        expected: Option<u64>,
    ) -> Result<Result<(), Conflict>, PortError> {
        put_if(&self.client, &self.table, self.entry_item(entry)?, expected).await
    }

    async fn delete(
        &self,
        key: &RecordKey,
        expected: u64,
    ) -> Result<Result<(), Conflict>, PortError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key.storage_key()))
            .condition_expression("revision = :r")
            .expression_attribute_values(":r", n(expected))
            .send()
            .await;
        match res {
            Ok(_) => Ok(Ok(())),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(Err(Conflict))
            }
            Err(e) => Err(classify("dynamodb", "DeleteItem", e)),
        }
    }

    async fn find_by_crm_id(
        &self,
        kind: RecordKind,
        catalog: Catalog,
        crm_id: &str,
    ) -> Result<Vec<LedgerEntry>, PortError> {
        let items = query_index(
            &self.client,
            &self.table,
            LEDGER_CRM_INDEX,
            "crm_key",
            &crm_index_key(kind, catalog, crm_id),
        )
        .await?;
        items.iter().map(from_item).collect()
    }

    async fn file(&self, key: &str, etag: &str) -> Result<Option<FileEntry>, PortError> {
        get(
            &self.client,
            &self.table,
            &FileEntry::storage_key(key, etag),
        )
        .await?
        .map(|i| from_item(&i))
        .transpose()
    }

    async fn put_file(&self, entry: &FileEntry) -> Result<(), PortError> {
        let mut item = to_item(entry)?;
        item.insert(
            "pk".into(),
            s(FileEntry::storage_key(&entry.key, &entry.etag)),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify("dynamodb", "PutItem", e))?;
        Ok(())
    }

    async fn records(&self) -> Result<Vec<LedgerEntry>, PortError> {
        let items = scan_prefix(&self.client, &self.table, "REC#").await?;
        items.iter().map(from_item).collect()
    }

    async fn files(&self) -> Result<Vec<FileEntry>, PortError> {
        let items = scan_prefix(&self.client, &self.table, "FILE#").await?;
        items.iter().map(from_item).collect()
    }

    async fn watermark(&self, catalog: Catalog) -> Result<Option<DateTime<Utc>>, PortError> {
        let item = get(&self.client, &self.table, &watermark_key(catalog)).await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("at"))
            .and_then(|a| a.as_s().ok())
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }

    async fn set_watermark(&self, catalog: Catalog, at: DateTime<Utc>) -> Result<(), PortError> {
        // Fixed-width UTC text compares in time order, so the condition keeps the watermark monotonic.
        let text = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(watermark_key(catalog)))
            .item("at", s(text.clone()))
            .condition_expression("attribute_not_exists(pk) OR #at < :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", s(text))
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("dynamodb", "PutItem", e)),
        }
    }

    async fn notice_mark(&self, pk: &str) -> Result<Option<NoticeMark>, PortError> {
        get(&self.client, &self.table, pk)
            .await?
            .map(|i| from_item(&i))
            .transpose()
    }

    async fn put_notice_mark(
        &self,
        mark: &NoticeMark,
        expected: Option<u64>,
    ) -> Result<Result<(), Conflict>, PortError> {
        put_if(&self.client, &self.table, to_item(mark)?, expected).await
    }

    async fn notice_marks(&self) -> Result<Vec<NoticeMark>, PortError> {
        let items = scan_prefix(&self.client, &self.table, "NOTICE#").await?;
        items.iter().map(from_item).collect()
    }

    async fn holds(
        &self,
        catalog: Catalog,
        crm_ids: &[String],
    ) -> Result<HashMap<String, SettleHold>, PortError> {
        let keys: Vec<String> = crm_ids.iter().map(|id| hold_key(catalog, id)).collect();
        let items = batch_get(&self.client, &self.table, &keys).await?;
        Ok(items
            .iter()
            .filter_map(|i| {
                let id = i.get("crm_id")?.as_s().ok()?;
                let until = DateTime::parse_from_rfc3339(i.get("until")?.as_s().ok()?).ok()?;
                let messages = i
                    .get("messages")
                    .and_then(|m| m.as_ss().ok())
                    .cloned()
                    .unwrap_or_default();
                Some((
                    id.clone(),
                    SettleHold {
                        until: until.with_timezone(&Utc),
                        messages,
                    },
                ))
            })
            .collect())
    }

    async fn save_holds(
        &self,
        catalog: Catalog,
        set: &[(String, SettleHold)],
        ended: &[String],
    ) -> Result<(), PortError> {
        use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
        let mut writes = Vec::with_capacity(set.len() + ended.len());
        for (crm_id, hold) in set {
            // A hold's item expires (TTL) a day after it ends, if nothing removed it.
            let mut put = PutRequest::builder()
                .item("pk", s(hold_key(catalog, crm_id)))
                .item("crm_id", s(crm_id.clone()))
                .item(
                    "until",
                    s(hold
                        .until
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                )
                .item(
                    "expires_at",
                    AttributeValue::N((hold.until.timestamp() + 86_400).to_string()),
                );
            if !hold.messages.is_empty() {
                put = put.item("messages", AttributeValue::Ss(hold.messages.clone()));
            }
            let put = put
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
            writes.push(WriteRequest::builder().put_request(put).build());
        }
        for crm_id in ended {
            let delete = DeleteRequest::builder()
                .key("pk", s(hold_key(catalog, crm_id)))
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
            writes.push(WriteRequest::builder().delete_request(delete).build());
        }
        // 25 writes a request (BatchWriteItem's limit), asked again for those DynamoDB leaves unprocessed.
        for chunk in writes.chunks(25) {
            let mut request = Some(HashMap::from([(self.table.clone(), chunk.to_vec())]));
            for _ in 0..10 {
                let Some(asked) = request.take() else { break };
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(asked))
                    .send()
                    .await
                    .map_err(|e| classify("dynamodb", "BatchWriteItem", e))?;
                request = out.unprocessed_items.filter(|k| !k.is_empty());
            }
            if request.is_some() {
                return Err(PortError::retryable(
                    "dynamodb",
                    "BatchWriteItem: holds left unprocessed",
                ));
            }
        }
        Ok(())
    }
}

/// The store's attribute holding when a closed record closed (RFC 3339; absent while it is open).
const CLOSED_AT: &str = "closed_at";

/// What a read of a store item knows beyond the record: its revision (the write is conditional on it) and
/// when it closed.
#[derive(Debug, Clone, Copy)]
struct Stored {
    revision: u64,
    closed_at: Option<DateTime<Utc>>,
}

/// The default CRM: canonical records on a DynamoDB table (`pk` = `<kind>#<crm id>`; index
/// [`STORE_ACE_INDEX`] on `ace_key` = `<kind>#<ace id>`).
#[derive(Debug, Clone)]
pub struct DynamoCrmStore {
    client: Client,
    table: String,
    retention: Option<chrono::Duration>,
}

fn store_pk(kind: RecordKind, crm_id: &str) -> String {
    format!("{kind}#{crm_id}")
}

/// How many times a store write is retried against concurrent writers.
const STORE_ATTEMPTS: usize = 8;

impl DynamoCrmStore {
    /// The store in `table`; closed records are kept for ever (see [`Self::with_retention`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoCrmStore {
            client,
            table: table.into(),
            retention: None,
        }
    }

    /// Closed records (see [`SyncRecord::is_closed`]) carry `expires_at` = the write that closed them +
    /// `retention`.
    pub fn with_retention(mut self, retention: Option<chrono::Duration>) -> Self {
        self.retention = retention;
        self
    }

    /// The CRM id the store gives a new AWS record: derived from AWS's id, so that a retried create
    /// finds the record it made.
    pub fn new_crm_id(ace_id: &str) -> String {
        format!("ACB-{ace_id}")
    }

    async fn load(
        &self,
        kind: RecordKind,
        crm_id: &str,
    ) -> Result<Option<(CrmRecord, Stored)>, PortError> {
        let Some(item) = get(&self.client, &self.table, &store_pk(kind, crm_id)).await? else {
            return Ok(None);
        };
        let revision = match item.get("revision") {
            Some(AttributeValue::N(r)) => r.parse().unwrap_or(0),
            _ => 0,
        };
        let closed_at = match item.get(CLOSED_AT) {
            Some(AttributeValue::S(t)) => DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            _ => None,
        };
        Ok(Some((
            from_item(&item)?,
            Stored {
                revision,
                closed_at,
            },
        )))
    }

    /// Writes `record` over the version `previous` read (or as new). A closed record keeps the time it
    /// closed (`closed_at`, from `previous` when it was closed already), and its TTL counts from then: a
    /// later write (an AWS result, another closed version) does not put its end off, and the store's TTL
    /// stays the ledger's (`LedgerEntry::closed_at`).
    async fn save(
        &self,
        record: &CrmRecord,
        previous: Option<Stored>,
    ) -> Result<Result<(), Conflict>, PortError> {
        let mut item = to_item(record)?;
        item.insert("pk".into(), s(store_pk(record.kind, &record.crm_id)));
        item.insert("revision".into(), n(previous.map_or(1, |p| p.revision + 1)));
        if let Some(a) = &record.ace_id {
            item.insert("ace_key".into(), s(format!("{}#{a}", record.kind)));
        }
        let closed = SyncRecord::from_json(record.kind, &record.record)
            .is_ok_and(|r| r.is_closed())
            .then(|| {
                previous
                    .and_then(|p| p.closed_at)
                    .unwrap_or(record.updated_at)
            });
        if let Some(at) = closed {
            item.insert(
                CLOSED_AT.into(),
                s(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            );
        }
        if let Some(at) = expiry(closed, self.retention) {
            item.insert(TTL_ATTRIBUTE.into(), at);
        }
        put_if(
            &self.client,
            &self.table,
            item,
            previous.map(|p| p.revision),
        )
        .await
    }

    /// Every record (the demo, operators).
    pub async fn all(&self) -> Result<Vec<CrmRecord>, PortError> {
        let items = scan_prefix(&self.client, &self.table, "").await?;
        items
            .iter()
            .filter(|i| !matches!(i.get("pk"), Some(AttributeValue::S(pk)) if pk.starts_with(PUSHED_PREFIX)))
            .map(from_item)
            .collect()
    }

    /// Deletes a record and what was last pushed of it to the real CRM (`acebridge forget`).
    pub async fn delete(&self, kind: RecordKind, crm_id: &str) -> Result<(), PortError> {
        let pk = store_pk(kind, crm_id);
        for key in [format!("{PUSHED_PREFIX}{pk}"), pk] {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(key))
                .send()
                .await
                .map_err(|e| classify("dynamodb", "DeleteItem", e))?;
        }
        Ok(())
    }

    /// What was last written to the real CRM for a record (see `acebridge_crm::mirror`).
    pub async fn last_pushed(
        &self,
        kind: RecordKind,
        crm_id: &str,
    ) -> Result<Option<Value>, PortError> {
        let pk = format!("{PUSHED_PREFIX}{}", store_pk(kind, crm_id));
        Ok(get(&self.client, &self.table, &pk)
            .await?
            .and_then(|item| item.get("doc").map(from_attr)))
    }

    /// Remembers what was written to the real CRM for a record.
    pub async fn set_last_pushed(
        &self,
        kind: RecordKind,
        crm_id: &str,
        doc: Value,
    ) -> Result<(), PortError> {
        let pk = format!("{PUSHED_PREFIX}{}", store_pk(kind, crm_id));
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(pk))
            .item("doc", to_attr(doc))
            .send()
            .await
            .map_err(|e| classify("dynamodb", "PutItem", e))?;
        Ok(())
    }
}

/// Key prefix of the store's "last pushed to the real CRM" items.
const PUSHED_PREFIX: &str = "PUSHED#";

fn contention(what: &str) -> PortError {
    PortError::retryable("crm", format!("{what}: too many concurrent writers"))
}

impl Crm for DynamoCrmStore {
    async fn upsert(
        &self,
        catalog: Catalog,
        record: &SyncRecord,
        crm_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Upsert, PortError> {
        let kind = record.kind();
        let crm_id = match (crm_id, record.crm_id(), record.ace_id()) {
            (Some(c), _, _) | (None, Some(c), _) => c.to_string(),
            (None, None, Some(a)) => Self::new_crm_id(a),
            (None, None, None) => {
                return Err(PortError::permanent(
                    "crm",
                    "a record needs an AWS id or a CRM id",
                ));
            }
        };
        for _ in 0..STORE_ATTEMPTS {
            let existing = self.load(kind, &crm_id).await?;
            if let (Some((have, _)), Some(new)) = (&existing, record.last_modified())
                && have.aws_last_modified.is_some_and(|h| h > new)
            {
                return Ok(Upsert::Stale { crm_id });
            }
            let mut body = existing
                .as_ref()
                .map_or(Value::Object(Default::default()), |(r, _)| r.record.clone());
            merge_json(&mut body, record.to_json());
            let merged = SyncRecord::from_json(kind, &body).map_err(|e| {
                PortError::permanent("crm", format!("merged {kind} is not canonical: {e}"))
            })?;
            let stored = CrmRecord {
                kind,
                catalog,
                crm_id: crm_id.clone(),
                ace_id: merged.ace_id().map(str::to_string),
                aws_last_modified: merged.last_modified(),
                accept_by: merged.accept_by(),
                summary: merged.summary(),
                record: body,
                aws_sync: existing.as_ref().and_then(|(r, _)| r.aws_sync.clone()),
                updated_at: now,
            };
            let previous = existing.as_ref().map(|(_, p)| *p);
            if self.save(&stored, previous).await?.is_ok() {
                return Ok(match existing {
                    None => Upsert::Created { crm_id },
                    Some(_) => Upsert::Updated { crm_id },
                });
            }
        }
        Err(contention(&crm_id))
    }

    async fn record_aws_result(
        &self,
        kind: RecordKind,
        crm_id: &str,
        ace_id: Option<&str>,
        result: &AwsResult,
    ) -> Result<bool, PortError> {
        for _ in 0..STORE_ATTEMPTS {
            let Some((mut rec, previous)) = self.load(kind, crm_id).await? else {
                return Ok(false);
            };
            if let Some(a) = ace_id {
                rec.ace_id = Some(a.to_string());
                if let Value::Object(m) = &mut rec.record {
                    m.insert("id".into(), Value::String(a.to_string()));
                }
            }
            rec.aws_sync = Some(result.clone());
            rec.updated_at = result.at;
            if self.save(&rec, Some(previous)).await?.is_ok() {
                return Ok(true);
            }
        }
        Err(contention(crm_id))
    }

    async fn get(&self, kind: RecordKind, crm_id: &str) -> Result<Option<CrmRecord>, PortError> {
        Ok(self.load(kind, crm_id).await?.map(|(r, _)| r))
    }

    async fn find_by_ace_id(
        &self,
        kind: RecordKind,
        ace_id: &str,
    ) -> Result<Option<CrmRecord>, PortError> {
        let items = query_index(
            &self.client,
            &self.table,
            STORE_ACE_INDEX,
            "ace_key",
            &format!("{kind}#{ace_id}"),
        )
        .await?;
        match items.first().and_then(|i| i.get("crm_id")) {
            // The index is eventually consistent: read the record itself.
            Some(AttributeValue::S(crm_id)) => self.get(kind, crm_id).await,
            _ => Ok(None),
        }
    }
}

/// A rate shared by every process that uses the same table: each call takes the next free slot, a
/// conditional write on one item (`GATE#<name>`), so all of acebridge's functions together stay within
/// Partner Central's write quota, however many invocations run.
///
/// A slot is a lease, not only a time: its holder records when its call really left (`departed_at`), and the
/// holder of the next slot does not go before that departure plus the interval, however late it was (a
/// claim's round trip, a paused container, a loaded core). A holder that never departs (its process died)
/// gives its slot up after [`SharedRate::LEASE`].
#[derive(Debug, Clone)]
pub struct SharedRate {
    client: Client,
    table: String,
    key: String,
    interval_ms: i64,
    /// Slots are epoch milliseconds, shared across processes: a running clock (the system's in
    /// production, a running test clock in tests).
    clock: acebridge_clock::Clock,
}

/// A claimed slot of a [`SharedRate`]: call [`Slot::depart`] immediately before the call it was claimed
/// for.
#[derive(Debug)]
pub struct Slot<'a> {
    gate: &'a SharedRate,
    slot: i64,
}

impl SharedRate {
    /// How long a slot's holder may take to depart before the next holder stops waiting for it.
    pub const LEASE: std::time::Duration = std::time::Duration::from_secs(3);

    /// `per_second` calls per second, with a 5% margin (writes: a throttled write costs a second of the
    /// quota, a throttled read a tenth) for gate `name`.
    pub fn new(
        client: Client,
        table: impl Into<String>,
        name: &str,
        per_second: u32,
        clock: acebridge_clock::Clock,
    ) -> Self {
        SharedRate {
            clock,
            client,
            table: table.into(),
            key: format!("GATE#{name}"),
            interval_ms: 1050 / i64::from(per_second.max(1)),
        }
    }

    /// Waits for this call's slot and records its departure: for a call made right after it returns.
    pub async fn wait(&self) -> Result<(), PortError> {
        self.claim().await?.depart().await
    }

    /// Claims the next free slot and waits until it may be used: its time has come, and the previous
    /// slot's call departed at least one interval ago (or its lease ran out).
    pub async fn claim(&self) -> Result<Slot<'_>, PortError> {
        let (slot, previous) = loop {
            let now = self.clock.now_millis();
            let item = get(&self.client, &self.table, &self.key).await?;
            let next = number(item.as_ref(), "next");
            let slot = next.map_or(now, |n| n.max(now));
            let req = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(self.key.clone()))
                .update_expression("SET #n = :new")
                .expression_attribute_names("#n", "next")
                .expression_attribute_values(
                    ":new",
                    AttributeValue::N(slot.saturating_add(self.interval_ms).to_string()),
                );
            let req = match next {
                None => req.condition_expression("attribute_not_exists(#n)"),
                Some(n) => req
                    .condition_expression("#n = :n")
                    .expression_attribute_values(":n", AttributeValue::N(n.to_string())),
            };
            match req.send().await {
                // The slot before this one is the one whose end was `next`.
                Ok(_) => break (slot, next.map(|n| n - self.interval_ms)),
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) => {}
                Err(e) => return Err(classify("dynamodb", "UpdateItem", e)),
            }
        };
        // Measured after the claim: sleeping `slot - now` from before it would send every waiting write
        // one DynamoDB round trip late.
        sleep_until_ms(&self.clock, slot).await;
        let lease_ms = i64::try_from(Self::LEASE.as_millis()).unwrap_or(3000);
        if let Some(previous) = previous {
            // Polled while the previous holder has not departed: 10 ms, then up to 50 ms apart (each poll
            // is a DynamoDB read; a late holder is rare, a busy table is not).
            let mut poll = std::time::Duration::from_millis(10);
            loop {
                let item = get(&self.client, &self.table, &self.key).await?;
                let departed = number(item.as_ref(), "departed_slot").unwrap_or(i64::MIN);
                let now = self.clock.now_millis();
                if departed >= previous {
                    let at = number(item.as_ref(), "departed_at").unwrap_or(0);
                    sleep_until_ms(&self.clock, at.saturating_add(self.interval_ms)).await;
                    break;
                }
                if now >= previous.saturating_add(lease_ms) {
                    tracing::warn!(gate = %self.key, "the previous slot's holder never departed; going on");
                    break;
                }
                tokio::time::sleep(poll).await;
                poll = (poll * 2).min(std::time::Duration::from_millis(50));
            }
        }
        Ok(Slot { gate: self, slot })
    }
}

impl Slot<'_> {
    /// Records that the call leaves now, so the next slot's holder keeps its distance from it.
    pub async fn depart(self) -> Result<(), PortError> {
        let gate = self.gate;
        let res = gate
            .client
            .update_item()
            .table_name(&gate.table)
            .key("pk", s(gate.key.clone()))
            .update_expression("SET departed_slot = :slot, departed_at = :at")
            .condition_expression("attribute_not_exists(departed_slot) OR departed_slot < :slot")
            .expression_attribute_values(":slot", AttributeValue::N(self.slot.to_string()))
            .expression_attribute_values(
                ":at",
                AttributeValue::N(gate.clock.now_millis().to_string()),
            )
            .send()
            .await;
        match res {
            // A later slot already departed (this holder outlived its lease): nothing to record.
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("dynamodb", "UpdateItem", e)),
        }
    }
}

/// A number attribute of an item.
fn number(item: Option<&Item>, name: &str) -> Option<i64> {
    item.and_then(|i| i.get(name))
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
}

/// Sleeps until epoch millisecond `at` on `clock` (not at all if it has passed).
async fn sleep_until_ms(clock: &acebridge_clock::Clock, at: i64) {
    let wait = u64::try_from(at - clock.now_millis()).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
}

/// Signed calls already seen (HubSpot webhook signatures), so that a captured call replayed within its
/// five-minute freshness window is refused. One item per signature, written on condition that it is new
/// (or expired: TTL deletes late), with `expires_at` at the end of the window.
#[derive(Debug, Clone)]
pub struct DynamoReplayCache {
    client: Client,
    table: String,
}

impl DynamoReplayCache {
    /// The cache in `table` (`REPLAY_TABLE`).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoReplayCache {
            client,
            table: table.into(),
        }
    }

    /// Records `key` as used until `until`. True the first time; false when it was already used and
    /// has not expired (a replay).
    pub async fn first_use(
        &self,
        key: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(key))
            .item(
                TTL_ATTRIBUTE,
                n(u64::try_from(until.timestamp()).unwrap_or(0)),
            )
            .condition_expression("attribute_not_exists(pk) OR #e < :now")
            .expression_attribute_names("#e", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(u64::try_from(now.timestamp()).unwrap_or(0)))
            .send()
            .await;
        match res {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("dynamodb", "PutItem", e)),
        }
    }
}

/// Creates the replay-cache table (local stack and tests; `template.yaml` creates it in AWS).
pub async fn ensure_replay_table(client: &Client, table: &str) -> Result<(), PortError> {
    if client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?,
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| classify("dynamodb", "CreateTable", e))?;
    Ok(())
}

/// Creates the ledger and store tables (on-demand, with their indexes) if they do not exist. For the
/// local stack and tests; `template.yaml` creates them in AWS.
pub async fn ensure_tables(client: &Client, ledger: &str, store: &str) -> Result<(), PortError> {
    for (table, index, attr) in [
        (ledger, LEDGER_CRM_INDEX, "crm_key"),
        (store, STORE_ACE_INDEX, "ace_key"),
    ] {
        let exists = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .is_ok();
        if exists {
            continue;
        }
        let key = |name: &str| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))
        };
        let def = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| PortError::permanent("dynamodb", e.to_string()))
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(attr)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?;
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk")?)
            .attribute_definitions(def("pk")?)
            .attribute_definitions(def(attr)?)
            .global_secondary_indexes(gsi)
            .send()
            .await
            .map_err(|e| classify("dynamodb", "CreateTable", e))?;
        // As the template: DynamoDB deletes items whose expires_at has passed.
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                    .attribute_name(TTL_ATTRIBUTE)
                    .enabled(true)
                    .build()
                    .map_err(|e| PortError::permanent("dynamodb", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| classify("dynamodb", "UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// Partner Central calls counted in the ledger table ([`crate::guards::budget::CallCounter`]): one item an hour and
/// kind (`BUDGET#reads#2026-11-30T07`), its count raised atomically by every function, expiring (TTL) a
/// day after its hour has left the window.
#[derive(Clone, Debug)]
pub struct DynamoCallCounter {
    client: Client,
    table: String,
    clock: acebridge_clock::Clock,
}

impl DynamoCallCounter {
    /// Hours summed for "the last 24 hours": the current one and 24 before it.
    const HOURS: i64 = 25;

    /// The counter in `table` (the ledger table), its hours read from `clock`.
    pub fn new(client: Client, table: impl Into<String>, clock: acebridge_clock::Clock) -> Self {
        DynamoCallCounter {
            client,
            table: table.into(),
            clock,
        }
    }

    fn bucket(call: crate::guards::budget::Call, hour: DateTime<Utc>) -> String {
        format!("BUDGET#{}#{}", call.as_str(), hour.format("%Y-%m-%dT%H"))
    }
}

impl crate::guards::budget::CallCounter for DynamoCallCounter {
    async fn spend(&self, call: crate::guards::budget::Call, n: u64) -> Result<(), PortError> {
        let now = self.clock.now();
        let expires = now.timestamp() + 2 * 86_400;
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(Self::bucket(call, now)))
            .update_expression("ADD calls :n SET expires_at = :e")
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
            .expression_attribute_values(":e", AttributeValue::N(expires.to_string()))
            .send()
            .await
            .map_err(|e| classify("dynamodb", "UpdateItem", e))?;
        Ok(())
    }

    async fn used(&self, call: crate::guards::budget::Call) -> Result<u64, PortError> {
        let now = self.clock.now();
        let keys: Vec<String> = (0..Self::HOURS)
            .map(|h| Self::bucket(call, now - chrono::Duration::hours(h)))
            .collect();
        Ok(batch_get(&self.client, &self.table, &keys)
            .await?
            .iter()
            .map(|item| number(Some(item), "calls").map_or(0, |n| u64::try_from(n).unwrap_or(0)))
            .sum())
    }
}
