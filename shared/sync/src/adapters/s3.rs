//! [`ObjectStore`] on an S3 bucket.

use super::classify;
use crate::ports::error::PortError;
use crate::ports::store::{ListPage, ObjectHead, ObjectInfo, ObjectStore, StoredObject};
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ObjectCannedAcl, ServerSideEncryption};
use std::collections::{BTreeMap, HashMap};

/// One S3 bucket, with the encryption and ACL its writes need.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    client: Client,
    bucket: String,
    kms_key: Option<String>,
    acl: Option<ObjectCannedAcl>,
    expected_owner: Option<String>,
}

impl S3Bucket {
    /// A bucket written with its default encryption.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        S3Bucket {
            client,
            bucket: bucket.into(),
            kms_key: None,
            acl: None,
            expected_owner: None,
        }
    }

    /// Every call names the account that must own the bucket (`ExpectedBucketOwner`): S3 refuses the
    /// call with 403 when another account owns it. The ACE bucket is trusted by its owner, not by its
    /// name alone (anyone can create a bucket of that name in another account once AWS drops it).
    pub fn with_expected_owner(mut self, account: Option<String>) -> Self {
        self.expected_owner = account.filter(|a| !a.is_empty());
        self
    }

    /// Writes are encrypted with this KMS key (the ACE bucket's key, given by AWS per stage).
    pub fn with_kms_key(mut self, key: Option<String>) -> Self {
        self.kms_key = key.filter(|k| !k.is_empty());
        self
    }

    /// Writes carry `bucket-owner-full-control` (required by the AWS-owned ACE bucket).
    pub fn with_owner_full_control(mut self) -> Self {
        self.acl = Some(ObjectCannedAcl::BucketOwnerFullControl);
        self
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn unquote(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_string()
}

fn metadata(m: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    m.map(|m| {
        m.iter()
            .map(|(k, v)| (k.to_lowercase(), v.clone()))
            .collect()
    })
    .unwrap_or_default()
}

/// What a CopySource key escapes: everything but unreserved characters and `/`.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

impl ObjectStore for S3Bucket {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn list(&self, prefix: &str, token: Option<String>) -> Result<ListPage, PortError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| classify("s3", "ListObjectsV2", e))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(ObjectInfo {
                    key: o.key()?.to_string(),
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    etag: unquote(o.e_tag()),
                    last_modified: o
                        .last_modified()
                        .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), 0)),
                })
            })
            .collect();
        let next = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok(ListPage { objects, next })
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, PortError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .key(key)
            .send()
            .await
        {
            Ok(h) => Ok(Some(ObjectHead {
                info: ObjectInfo {
                    key: key.to_string(),
                    size: u64::try_from(h.content_length().unwrap_or(0)).unwrap_or(0),
                    etag: unquote(h.e_tag()),
                    last_modified: None,
                },
                metadata: metadata(h.metadata()),
            })),
            Err(e) if matches!(e.as_service_error(), Some(HeadObjectError::NotFound(_))) => {
                Ok(None)
            }
            Err(e) => Err(classify("s3", "HeadObject", e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, PortError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .key(key)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => {
                return Ok(None);
            }
            Err(e) => return Err(classify("s3", "GetObject", e)),
        };
        let head = ObjectHead {
            info: ObjectInfo {
                key: key.to_string(),
                size: u64::try_from(out.content_length().unwrap_or(0)).unwrap_or(0),
                etag: unquote(out.e_tag()),
                last_modified: None,
            },
            metadata: metadata(out.metadata()),
        };
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| PortError::retryable("s3", format!("GetObject {key}: reading body: {e}")))?
            .into_bytes()
            .to_vec();
        Ok(Some(StoredObject { head, body }))
    }

    async fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        metadata: BTreeMap<String, String>,
    ) -> Result<ObjectInfo, PortError> {
        let size = body.len() as u64;
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .key(key)
            .content_type("application/json")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .set_metadata(Some(metadata.into_iter().collect()))
            .set_acl(self.acl.clone())
            .body(ByteStream::from(body));
        if let Some(k) = &self.kms_key {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k);
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify("s3", "PutObject", e))?;
        Ok(ObjectInfo {
            key: key.to_string(),
            size,
            etag: unquote(out.e_tag()),
            last_modified: None,
        })
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), PortError> {
        // CopySource is `<bucket>/<key>` with the key URL-encoded (S3 API reference, CopyObject).
        let source = format!(
            "{}/{}",
            self.bucket,
            percent_encoding::utf8_percent_encode(from, COPY_SOURCE)
        );
        let mut req = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .set_expected_source_bucket_owner(self.expected_owner.clone())
            .copy_source(source)
            .key(to)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .set_acl(self.acl.clone());
        if let Some(k) = &self.kms_key {
            req = req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k);
        }
        req.send()
            .await
            .map_err(|e| classify("s3", "CopyObject", e))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), PortError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .set_expected_bucket_owner(self.expected_owner.clone())
            .key(key)
            .send()
            .await
            .map_err(|e| classify("s3", "DeleteObject", e))?;
        Ok(())
    }
}
