//! The object-store port: one bucket (the AWS-owned ACE bucket, or acebridge's landing bucket).

use crate::ports::error::PortError;
use std::collections::BTreeMap;
use std::future::Future;

/// An object's identity and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// ETag, without quotes.
    pub etag: String,
    /// When it was written (listings give it; writes and heads leave it out).
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// An object's head: identity and user metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// Identity.
    pub info: ObjectInfo,
    /// User metadata (`x-amz-meta-*`), lower-case names.
    pub metadata: BTreeMap<String, String>,
}

/// A whole object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Head.
    pub head: ObjectHead,
    /// Content.
    pub body: Vec<u8>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Objects, in key order.
    pub objects: Vec<ObjectInfo>,
    /// Token for the next page.
    pub next: Option<String>,
}

/// One bucket.
pub trait ObjectStore: Send + Sync {
    /// The bucket's name.
    fn bucket(&self) -> &str;

    /// One page of the keys under `prefix`.
    fn list(
        &self,
        prefix: &str,
        token: Option<String>,
    ) -> impl Future<Output = Result<ListPage, PortError>> + Send;

    /// The head of an object; `None` if there is none.
    fn head(&self, key: &str)
    -> impl Future<Output = Result<Option<ObjectHead>, PortError>> + Send;

    /// An object; `None` if there is none.
    fn get(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredObject>, PortError>> + Send;

    /// Writes an object. The store verifies the body's SHA-256 on arrival (S3 `x-amz-checksum-sha256`)
    /// and applies the bucket's configured encryption and ACL.
    fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        metadata: BTreeMap<String, String>,
    ) -> impl Future<Output = Result<ObjectInfo, PortError>> + Send;

    /// Deletes an object (no error if it is already gone).
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Copies an object within the bucket without reading it (S3 CopyObject), metadata and all.
    fn copy(&self, from: &str, to: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Every object under `prefix`, all pages.
pub async fn list_all(
    store: &impl ObjectStore,
    prefix: &str,
) -> Result<Vec<ObjectInfo>, PortError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = store.list(prefix, token).await?;
        out.extend(page.objects);
        match page.next {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

/// Moves an object within a store: writes it at `to`, then deletes `from`.
pub async fn move_object(
    store: &impl ObjectStore,
    object: StoredObject,
    to: &str,
) -> Result<(), PortError> {
    store.put(to, object.body, object.head.metadata).await?;
    store.delete(&object.head.info.key).await
}
