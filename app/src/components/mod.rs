//! Reusable widgets: form fields, the confirmation dialog, the password
//! checklist, and page states.

mod checklist;
mod dialog;
mod field;
mod form;
mod states;
mod table;

pub use checklist::PasswordChecklist;
pub use dialog::ConfirmDialog;
pub use field::{CheckboxField, SelectField, TextField};
pub use form::FormState;
pub use states::{ErrorState, Loading};
pub use table::DataTable;

use time::macros::format_description;
use time::OffsetDateTime;

/// Times are shown in UTC with the zone named, so admins in different
/// places read the same thing.
pub fn format_time(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
    .unwrap_or_default()
}
