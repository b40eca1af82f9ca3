use leptos::prelude::*;

/// A data table with a caption for screen readers, column headers, and an
/// optional unlabelled-to-the-eye actions column. Rows come as children.
#[component]
pub fn DataTable(
    #[prop(into)] caption: String,
    headers: &'static [&'static str],
    #[prop(optional)] actions_column: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                        {actions_column.then(|| view! {
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        })}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
