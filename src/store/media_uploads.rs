//! Direct uploads under way (`AppMediaUploads`): started by one pod, completed by any.

use chrono::{DateTime, Utc};
use entity::media_upload;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::{Store, StoreError};

impl Store {
    /// Records a direct upload that was given a presigned URL.
    pub async fn insert_media_upload(&self, row: media_upload::Model) -> Result<(), StoreError> {
        let mut row = row.into_active_model();
        row.id = sea_orm::ActiveValue::NotSet;
        media_upload::Entity::insert(row).exec(&self.db).await?;
        Ok(())
    }

    /// `owner`'s direct upload `upload_id`.
    pub async fn media_upload(
        &self,
        owner: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<media_upload::Model>, StoreError> {
        Ok(media_upload::Entity::find()
            .filter(media_upload::Column::UploadId.eq(upload_id))
            .filter(media_upload::Column::OwnerId.eq(owner))
            .one(&self.db)
            .await?)
    }

    /// Forgets the direct upload `upload_id` (completed, or refused).
    pub async fn delete_media_upload(&self, upload_id: Uuid) -> Result<(), StoreError> {
        media_upload::Entity::delete_many()
            .filter(media_upload::Column::UploadId.eq(upload_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets the direct uploads started before `before` and never completed; how many.
    pub async fn delete_stale_media_uploads(
        &self,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let gone = media_upload::Entity::delete_many()
            .filter(media_upload::Column::CreationTime.lt(before))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected)
    }
}
