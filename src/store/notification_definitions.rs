//! Notification definitions and their groups (ABP's definition records): read by name,
//! listed, saved (insert or update by name) and removed. The built-in ones are saved at start
//! when missing.

use entity::{notification_definition as def, notification_definition_group as grp};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use super::{Store, StoreError};

impl Store {
    /// Every definition group, by name.
    pub async fn notification_groups(&self) -> Result<Vec<grp::Model>, StoreError> {
        Ok(grp::Entity::find()
            .order_by_asc(grp::Column::Name)
            .all(&self.db)
            .await?)
    }

    /// The group named `name`.
    pub async fn notification_group(&self, name: &str) -> Result<Option<grp::Model>, StoreError> {
        Ok(grp::Entity::find()
            .filter(grp::Column::Name.eq(name))
            .one(&self.db)
            .await?)
    }

    /// Saves `group` under its name: a new row, or the existing one's fields replaced.
    pub async fn save_notification_group(&self, group: grp::Model) -> Result<(), StoreError> {
        match self.notification_group(&group.name).await? {
            Some(old) => {
                let row = grp::Model {
                    id: old.id,
                    ..group
                }
                .into_active_model()
                .reset_all();
                row.update(&self.db).await?;
            }
            None => {
                grp::Entity::insert(group.into_active_model())
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes the group named `name` and its definitions; whether it existed.
    pub async fn delete_notification_group(&self, name: &str) -> Result<bool, StoreError> {
        def::Entity::delete_many()
            .filter(def::Column::GroupName.eq(name))
            .exec(&self.db)
            .await?;
        let gone = grp::Entity::delete_many()
            .filter(grp::Column::Name.eq(name))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Every definition (of `group`, if named), by name.
    pub async fn notification_definitions(
        &self,
        group: Option<&str>,
    ) -> Result<Vec<def::Model>, StoreError> {
        let mut find = def::Entity::find().order_by_asc(def::Column::Name);
        if let Some(group) = group {
            find = find.filter(def::Column::GroupName.eq(group));
        }
        Ok(find.all(&self.db).await?)
    }

    /// The definition named `name`.
    pub async fn notification_definition(
        &self,
        name: &str,
    ) -> Result<Option<def::Model>, StoreError> {
        Ok(def::Entity::find()
            .filter(def::Column::Name.eq(name))
            .one(&self.db)
            .await?)
    }

    /// Saves `definition` under its name: a new row, or the existing one's fields replaced.
    pub async fn save_notification_definition(
        &self,
        definition: def::Model,
    ) -> Result<(), StoreError> {
        match self.notification_definition(&definition.name).await? {
            Some(old) => {
                let row = def::Model {
                    id: old.id,
                    ..definition
                }
                .into_active_model()
                .reset_all();
                row.update(&self.db).await?;
            }
            None => {
                def::Entity::insert(definition.into_active_model())
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes the definition named `name`; whether it existed.
    pub async fn delete_notification_definition(&self, name: &str) -> Result<bool, StoreError> {
        let gone = def::Entity::delete_many()
            .filter(def::Column::Name.eq(name))
            .exec(&self.db)
            .await?;
        Ok(gone.rows_affected > 0)
    }

    /// Saves each of `groups` and `definitions` that has no row of its name yet (the built-in
    /// ones, at start: an administrator's changes to them are kept).
    pub async fn add_missing_notification_definitions(
        &self,
        groups: Vec<grp::Model>,
        definitions: Vec<def::Model>,
    ) -> Result<(), StoreError> {
        for group in groups {
            if self.notification_group(&group.name).await?.is_none() {
                ignore_conflict(
                    grp::Entity::insert(group.into_active_model())
                        .exec(&self.db)
                        .await,
                )?;
            }
        }
        for definition in definitions {
            if self
                .notification_definition(&definition.name)
                .await?
                .is_none()
            {
                ignore_conflict(
                    def::Entity::insert(definition.into_active_model())
                        .exec(&self.db)
                        .await,
                )?;
            }
        }
        Ok(())
    }
}

/// Another pod saving the same built-in at the same moment is no failure.
fn ignore_conflict<T>(result: Result<T, sea_orm::DbErr>) -> Result<(), StoreError> {
    match result.map_err(StoreError::from) {
        Ok(_) | Err(StoreError::Conflict) => Ok(()),
        Err(e) => Err(e),
    }
}
