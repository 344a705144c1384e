//! [`Store`] for [`PgStore`]: each call takes a pooled connection and runs one backend function.

use super::*;

#[async_trait]
impl Store for PgStore {
    async fn bootstrap(&self) -> Result<Bootstrap> {
        admin::bootstrap(&mut self.conn().await?).await
    }
    async fn create_project(
        &self,
        org: &str,
        team: &str,
        name: &str,
        platform: Option<&str>,
    ) -> Result<(Project, ProjectKey)> {
        admin::create_project(&mut self.conn().await?, org, team, name, platform).await
    }
    async fn list_projects(&self) -> Result<Vec<Project>> {
        admin::projects(&self.conn().await?, "TRUE", &[]).await
    }
    async fn project(&self, id: ProjectId) -> Result<Option<Project>> {
        let c = self.conn().await?;
        Ok(admin::projects(&c, "p.id = $1", &[&id.0])
            .await?
            .into_iter()
            .next())
    }
    async fn project_by_slug(&self, org: &str, slug: &str) -> Result<Option<Project>> {
        let c = self.conn().await?;
        Ok(
            admin::projects(&c, "o.slug = $1 AND p.slug = $2", &[&org, &slug])
                .await?
                .into_iter()
                .next(),
        )
    }
    async fn set_project_scrubbing(
        &self,
        id: ProjectId,
        enabled: bool,
        extra_keys: &[String],
    ) -> Result<()> {
        let n = self
            .conn()
            .await?
            .execute(
                "UPDATE projects SET scrub_enabled = $1, scrub_extra_keys = $2 WHERE id = $3",
                &[&enabled, &extra_keys.join(","), &id.0],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("project {id}")));
        }
        Ok(())
    }
    async fn create_key(&self, project: ProjectId, label: &str) -> Result<ProjectKey> {
        admin::create_key(&mut self.conn().await?, project, label).await
    }
    async fn list_keys(&self, project: ProjectId) -> Result<Vec<ProjectKey>> {
        admin::keys(&self.conn().await?, "project_id = $1", &[&project.0]).await
    }
    async fn key_by_public(&self, public_key: &str) -> Result<Option<ProjectKey>> {
        let c = self.conn().await?;
        Ok(admin::keys(&c, "public_key = $1", &[&public_key])
            .await?
            .into_iter()
            .next())
    }
    async fn set_key_rate_limit(&self, key: KeyId, limit: Option<(u32, u32)>) -> Result<()> {
        let (count, window) = limit.map(|(c, w)| (i64::from(c), i64::from(w))).unzip();
        self.conn()
            .await?
            .execute(
                "UPDATE project_keys SET rate_limit_count = $1, rate_limit_window = $2 WHERE id = $3",
                &[&count, &window, &key.0],
            )
            .await?;
        Ok(())
    }
    async fn revoke_key(&self, key: KeyId) -> Result<()> {
        self.conn()
            .await?
            .execute(
                "UPDATE project_keys SET active = FALSE WHERE id = $1",
                &[&key.0],
            )
            .await?;
        Ok(())
    }
    async fn create_token(&self, name: &str, scopes: &[String]) -> Result<(ApiToken, String)> {
        admin::create_token(&self.conn().await?, name, scopes).await
    }
    async fn token_by_secret(&self, secret: &str) -> Result<Option<ApiToken>> {
        admin::token_by_secret(&self.conn().await?, secret).await
    }
    async fn count_users(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .await?
            .query_one("SELECT COUNT(*) FROM users", &[])
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }
    async fn create_user(&self, email: &str, password_hash: &str, role: &str) -> Result<User> {
        admin::create_user(&self.conn().await?, email, password_hash, role).await
    }
    async fn list_users(&self) -> Result<Vec<User>> {
        accounts::users(&self.conn().await?, "TRUE", &[]).await
    }
    async fn user(&self, id: UserId) -> Result<Option<User>> {
        accounts::user(&self.conn().await?, id).await
    }
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        accounts::user_by_email(&self.conn().await?, email).await
    }
    async fn set_user_password(&self, id: UserId, password_hash: &str) -> Result<()> {
        accounts::set_user_column(&self.conn().await?, id, "password_hash", password_hash).await
    }
    async fn set_user_role(&self, id: UserId, role: &str) -> Result<()> {
        accounts::set_user_column(&self.conn().await?, id, "role", role).await
    }

    async fn create_session(&self, user: UserId, ttl_secs: f64) -> Result<(String, String)> {
        accounts::create_session(&mut self.conn().await?, user, ttl_secs).await
    }
    async fn session_by_secret(&self, secret: &str) -> Result<Option<UserSession>> {
        accounts::session_by_secret(&self.conn().await?, secret).await
    }
    async fn delete_session(&self, secret: &str) -> Result<()> {
        accounts::delete_sessions(&self.conn().await?, None, None, Some(secret)).await
    }
    async fn delete_user_sessions(&self, user: UserId, keep: Option<&str>) -> Result<()> {
        accounts::delete_sessions(&self.conn().await?, Some(user), keep, None).await
    }

    async fn list_teams(&self) -> Result<Vec<TeamMembers>> {
        accounts::teams(&self.conn().await?).await
    }
    async fn team(&self, id: TeamId) -> Result<Option<Team>> {
        accounts::team(&self.conn().await?, id).await
    }
    async fn create_team(&self, org: &str, slug: &str, name: &str) -> Result<Team> {
        accounts::create_team(&self.conn().await?, org, slug, name).await
    }
    async fn add_team_member(&self, team: TeamId, user: UserId) -> Result<()> {
        accounts::add_team_member(&mut self.conn().await?, team, user).await
    }
    async fn remove_team_member(&self, team: TeamId, user: UserId) -> Result<()> {
        accounts::remove_team_member(&self.conn().await?, team, user).await
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        accounts::tokens(&self.conn().await?).await
    }
    async fn revoke_token(&self, id: TokenId) -> Result<()> {
        accounts::revoke_token(&self.conn().await?, id).await
    }
    async fn rename_key(&self, key: KeyId, label: &str) -> Result<()> {
        accounts::rename_key(&self.conn().await?, key, label).await
    }
    async fn list_saved_searches(&self, user: UserId) -> Result<Vec<SavedSearch>> {
        accounts::saved_searches(&self.conn().await?, user).await
    }
    async fn save_search(&self, user: UserId, name: &str, query: &str) -> Result<SavedSearch> {
        accounts::save_search(&self.conn().await?, user, name, query).await
    }
    async fn delete_saved_search(&self, user: UserId, id: i64) -> Result<()> {
        accounts::delete_saved_search(&self.conn().await?, user, id).await
    }

    async fn write_batch(&self, batch: WriteBatch) -> Result<BatchOutcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut c = self.conn().await?;
            match write::write_batch(&mut c, &self.inner.hash_cache, &batch).await {
                Ok(outcome) => return Ok(outcome),
                // Rolled back whole: nothing was written, so running it again is safe.
                Err(f) if f.retry && attempt < 30 => {
                    // Random back-off, so two batches that deadlocked do not meet again at once.
                    let wait = rand::random_range(1..=5 * attempt.min(10));
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                }
                Err(f) => return Err(f.error),
            }
        }
    }
    fn codec(&self) -> &Codec {
        &self.inner.codec
    }
    async fn plain_payloads(
        &self,
        project: ProjectId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<u8>)>> {
        let c = self.conn().await?;
        let stmt = c
            .prepare_cached(
                "SELECT id, payload FROM events WHERE project_id = $1 AND dict_id IS NULL AND id > $2
                 ORDER BY id LIMIT $3",
            )
            .await?;
        let rows = c
            .query(&stmt, &[&project.0, &after, &i64::from(limit)])
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
    async fn replace_plain_payloads(&self, rows: Vec<(i64, i64, Vec<u8>)>) -> Result<u64> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let stmt = tx
            .prepare_cached(
                "UPDATE events SET dict_id = $2, payload = $3 WHERE id = $1 AND dict_id IS NULL",
            )
            .await?;
        let mut n = 0;
        for (id, dict, payload) in &rows {
            n += tx.execute(&stmt, &[id, dict, payload]).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
    async fn train_dictionaries(&self) -> Result<usize> {
        // Dictionaries other nodes trained (counted by them, not here).
        self.adopt_dictionaries().await?;
        let mut n = 0;
        for (project, samples) in self.inner.codec.take_ready_samples() {
            if !self.inner.codec.has_current(project) && self.train_one(project, samples).await? {
                n += 1;
            }
        }
        Ok(n)
    }
    async fn claim_job(&self, job: &str, holder: &str, every_secs: f64) -> Result<bool> {
        let mut c = self.conn().await?;
        c.execute(
            "INSERT INTO job_claims (name, holder, last_run) VALUES ($1, '', 0)
             ON CONFLICT (name) DO NOTHING",
            &[&job],
        )
        .await?;
        let tx = c.transaction().await?;
        // A node holding the row is deciding right now: skip instead of waiting for it.
        let Some(row) = tx
            .query_opt(
                "SELECT last_run FROM job_claims WHERE name = $1 FOR UPDATE SKIP LOCKED",
                &[&job],
            )
            .await?
        else {
            return Ok(false);
        };
        let last_run: f64 = row.try_get(0)?;
        let t = now();
        if last_run > t - every_secs {
            // Ended here, not by dropping `tx`: a dropped transaction is rolled back after this
            // returns, and until then its row lock makes the next claim skip the row — a claim
            // right after this one (by any node) found nothing to claim.
            tx.rollback().await?;
            return Ok(false);
        }
        tx.execute(
            "UPDATE job_claims SET holder = $2, last_run = $3 WHERE name = $1",
            &[&job, &holder, &t],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn list_issues(&self, query: &IssueQuery) -> Result<Vec<Issue>> {
        read::list_issues(&self.conn().await?, query).await
    }
    async fn issue(&self, id: IssueId) -> Result<Option<Issue>> {
        read::issue(&**self.conn().await?, id).await
    }
    async fn set_issue_status_as(
        &self,
        id: IssueId,
        change: StatusChange,
        actor: Option<UserId>,
    ) -> Result<Issue> {
        triage::set_issue_status(&mut self.conn().await?, id, change, actor).await
    }
    async fn assign_issue(
        &self,
        id: IssueId,
        to: Option<Assignee>,
        actor: Option<UserId>,
    ) -> Result<Issue> {
        triage::assign_issue(&mut self.conn().await?, id, to, actor).await
    }
    async fn add_comment(&self, id: IssueId, user: UserId, text: &str) -> Result<Activity> {
        triage::add_comment(&mut self.conn().await?, id, user, text).await
    }
    async fn issue_activity(&self, id: IssueId) -> Result<Vec<Activity>> {
        triage::issue_activity(&self.conn().await?, id).await
    }
    async fn unignore_expired(&self, now: f64) -> Result<u64> {
        triage::unignore_expired(&mut self.conn().await?, now).await
    }
    async fn issue_hourly_counts(
        &self,
        issues: &[IssueId],
        since: f64,
    ) -> Result<Vec<(IssueId, i64, i64)>> {
        read::hourly_counts(&self.conn().await?, issues, since).await
    }
    async fn issue_tag_values(
        &self,
        issue: IssueId,
        key: Option<&str>,
    ) -> Result<Vec<TagValueCount>> {
        read::tag_values(&self.conn().await?, issue, key).await
    }

    async fn issue_events(
        &self,
        issue: IssueId,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Vec<StoredEvent>> {
        read::issue_events(&self.conn().await?, &self.inner.codec, issue, before, limit).await
    }
    async fn latest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>> {
        Ok(self.issue_events(issue, None, 1).await?.into_iter().next())
    }
    async fn oldest_event(&self, issue: IssueId) -> Result<Option<StoredEvent>> {
        read::oldest_event(&self.conn().await?, &self.inner.codec, issue).await
    }
    async fn event_neighbours(
        &self,
        issue: IssueId,
        row_id: i64,
    ) -> Result<(Option<String>, Option<String>)> {
        read::event_neighbours(&self.conn().await?, issue, row_id).await
    }
    async fn trace_events(&self, trace_id: &str, limit: u64) -> Result<Vec<TraceEvent>> {
        let Some(id) = trace_id_bytes(trace_id) else {
            return Ok(Vec::new());
        };
        read::trace_events(&self.conn().await?, &id, limit).await
    }
    async fn event_by_id(&self, project: ProjectId, event_id: &str) -> Result<Option<StoredEvent>> {
        let Some(id) = event_id_bytes(event_id) else {
            return Ok(None);
        };
        read::event_by_id(&self.conn().await?, &self.inner.codec, project, &id).await
    }
    async fn count_events(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .await?
            .query_one("SELECT COUNT(*) FROM events", &[])
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    async fn event_attachments(
        &self,
        project: ProjectId,
        event_id: &str,
    ) -> Result<Vec<Attachment>> {
        let Some(id) = event_id_bytes(event_id) else {
            return Ok(Vec::new());
        };
        read::attachments(&self.conn().await?, project, &id).await
    }
    async fn list_agents(&self, project: Option<ProjectId>) -> Result<Vec<Agent>> {
        read::agents(&self.conn().await?, project).await
    }
    async fn list_releases(&self, project: Option<ProjectId>) -> Result<Vec<ReleaseSummary>> {
        overview::releases(&self.conn().await?, project).await
    }
    async fn project_summaries(&self, since: f64) -> Result<Vec<ProjectSummary>> {
        overview::project_summaries(&self.conn().await?, since).await
    }
    async fn list_environments(&self, project: Option<ProjectId>) -> Result<Vec<String>> {
        overview::environments(&self.conn().await?, project).await
    }
    async fn session_hours(&self, project: ProjectId) -> Result<Vec<SessionHour>> {
        read::session_hours(&self.conn().await?, project).await
    }
    async fn discard_hours(&self, project: ProjectId) -> Result<Vec<DiscardHour>> {
        read::discard_hours(&self.conn().await?, project).await
    }
}
