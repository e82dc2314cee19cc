//! S3 uploads through the AWS SDK (default credential chain, `AWS_REGION`, profiles,
//! `AWS_ENDPOINT_URL`), as sops' `publish/s3.go` does with `PutObject`.

use crate::error::{Code, Error, Result};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

/// Stores `bytes` as object `key` of `bucket`.
pub fn put_object(bucket: &str, key: &str, bytes: Vec<u8>) -> Result<()> {
    let fail = |why: String| {
        Error::new(
            Code::Generic,
            format!("failed to upload to s3://{bucket}/{key}: {why}"),
        )
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start a runtime: {e}")))?;
    runtime.block_on(async {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        aws_sdk_s3::Client::new(&config)
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(drop)
            .map_err(|e| fail(DisplayErrorContext(&e).to_string()))
    })
}
