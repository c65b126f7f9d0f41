//! The frame every page shares: document head, skip link, header.

use maud::{DOCTYPE, Markup, html};

/// A complete HTML document around `content`. `scripts` are asset paths, loaded deferred.
pub(crate) fn page(title: &str, scripts: &[&str], content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                title { (title) " · actionhub" }
                link rel="icon" href="/assets/front.svg" type="image/svg+xml";
                link rel="stylesheet" href="/assets/hub.css";
                @for script in scripts {
                    script src=(script) defer {}
                }
            }
            body {
                a class="skip-link" href="#main" { "Skip to content" }
                header class="topbar" {
                    span class="brand" { "actionhub" }
                }
                main id="main" tabindex="-1" { (content) }
            }
        }
    }
}
