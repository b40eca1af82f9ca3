//! Bulk import from CSV: a preview that writes nothing, staged chunks, and a
//! commit that creates every account or none.

use super::support::*;
use app::model::import::{chunks, ImportChunk};
use app::model::Secret;
use app::model::{AccountListQuery, ErrorCode};
use sqlx::PgPool;

const FILE: &str = "username,first_name,last_name,email,role,clients,password\r\n\
alice,Alice,Able,alice@example.org,user,Acme,Import pass 1!\r\n\
bob,Bob,Baker,bob@example.org,administrator,,Import pass 2!\r\n\
carol,Carol,Cole,not-an-email,user,Acme,Import pass 3!\r\n\
dave,Dave,Dunn,dave@example.org,user,Nowhere,\r\n\
ALICE,Again,Alice,again@example.org,user,Acme,Import pass 4!\r\n\
erin,Erin,Ezra,erin@example.org,user,acme,\r\n";

async fn setup(
    pool: &PgPool,
) -> (
    server::domain::Services,
    uuid::Uuid,
    server::domain::caller::AdminCaller,
) {
    let (svc, t, admin) = tenant_with_admin(pool, "imp").await;
    new_client(&svc, &admin, "Acme").await;
    (svc, t, admin)
}

async fn count(svc: &server::domain::Services, admin: &server::domain::caller::AdminCaller) -> u64 {
    svc.list_accounts(admin, &AccountListQuery::default())
        .await
        .unwrap()
        .total
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_preview_names_each_rows_errors_and_writes_nothing(pool: PgPool) {
    let (svc, _, admin) = setup(&pool).await;
    let preview = svc.preview_import(&admin, FILE).await.unwrap();
    assert_eq!((preview.valid, preview.invalid), (3, 3));
    let by_line = |n: u32| preview.rows.iter().find(|r| r.line == n).unwrap();
    assert!(by_line(2).errors.is_empty());
    assert!(
        by_line(3).errors.is_empty(),
        "administrators need no client"
    );
    assert!(by_line(4).errors[0].contains("email"));
    assert!(by_line(5)
        .errors
        .iter()
        .any(|e| e.contains("no active client named “Nowhere”")));
    assert!(by_line(6)
        .errors
        .iter()
        .any(|e| e.contains("also on line 2")));
    assert!(by_line(7).note.as_deref().unwrap().contains("No password"));
    assert_eq!(count(&svc, &admin).await, 1, "nothing written");

    let bad_header = api_err(svc.preview_import(&admin, "user,name\nx,y\n").await);
    assert_eq!(bad_header.field.as_deref(), Some("file"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn staged_rows_are_committed_together(pool: PgPool) {
    let (svc, t, admin) = setup(&pool).await;
    let mut batch = None;
    for mut part in chunks(FILE, 2).unwrap() {
        part.batch = batch;
        let staged = svc.stage_import(&admin, &part).await.unwrap();
        batch = Some(staged.batch);
    }
    let batch = batch.unwrap();
    // Staging wrote no account yet, and kept no password.
    assert_eq!(count(&svc, &admin).await, 1);
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM import_rows WHERE request::text LIKE '%Import pass%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(plain, 0);

    let done = svc.commit_import(&admin, batch).await.unwrap();
    assert_eq!(done.created, 3);
    assert_eq!(count(&svc, &admin).await, 4);
    svc.login(&meta(None), "imp", "alice", &Secret::from("Import pass 1!"))
        .await
        .unwrap();
    assert_eq!(audit_count(&pool, t, "accounts.imported").await, 1);
    // The row without a password (erin) was invited, in the same commit.
    let invited: Vec<String> =
        sqlx::query_scalar("SELECT to_address FROM outbox WHERE kind = 'invitation'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(invited, ["erin@example.org"]);
    assert_eq!(audit_count(&pool, t, "invitation.sent").await, 1);
    assert_eq!(audit_count(&pool, t, "account.created").await, 4);
    // A committed batch is gone.
    assert_eq!(
        api_err(svc.commit_import(&admin, batch).await).code,
        ErrorCode::NotFound
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn one_failing_row_at_commit_imports_nothing(pool: PgPool) {
    let (svc, t, admin) = setup(&pool).await;
    let staged = svc
        .stage_import(
            &admin,
            &ImportChunk {
                batch: None,
                // The form callers used before `lines`: still understood.
                lines: vec![],
                first_line: Some(2),
                csv: FILE.into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(staged.staged, 3);
    // Someone takes "erin" (line 7) between staging and commit.
    svc.create_account(&admin, &{
        let mut r = account_request("Erin", "administrator");
        r.form.email = "other@example.org".into();
        r
    })
    .await
    .unwrap();
    let before = count(&svc, &admin).await;
    let err = api_err(svc.commit_import(&admin, staged.batch).await);
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(
        err.message.contains("Nothing was imported. Line 7"),
        "{}",
        err.message
    );
    assert_eq!(
        count(&svc, &admin).await,
        before,
        "alice and bob were rolled back too"
    );
    assert_eq!(audit_count(&pool, t, "accounts.imported").await, 0);

    // Another administrator cannot commit (or see) this batch.
    account(&svc, "imp", "deputy", "admin").await;
    let deputy = admin_of(&svc, "imp", "deputy").await;
    assert_eq!(
        api_err(svc.commit_import(&deputy, staged.batch).await).code,
        ErrorCode::NotFound
    );
}
