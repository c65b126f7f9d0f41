//! The tiny inline markup of guide texts: `**strong**` and `[label](https://…)`. Anything else is
//! text, escaped by the template engine.

use maud::{Markup, html};

/// Renders guide text with its inline markup.
pub fn rich(text: &str) -> Markup {
    let mut rest = text;
    let mut parts: Vec<Markup> = Vec::new();
    while !rest.is_empty() {
        let strong = rest.find("**");
        let link = rest.find('[');
        match (strong, link) {
            (Some(at), _) if link.is_none_or(|l| at < l) => {
                let after = &rest[at + 2..];
                match after.find("**") {
                    Some(end) => {
                        parts.push(html! { (&rest[..at]) strong { (&after[..end]) } });
                        rest = &after[end + 2..];
                    }
                    None => {
                        parts.push(html! { (rest) });
                        rest = "";
                    }
                }
            }
            (_, Some(at)) => match parse_link(&rest[at..]) {
                Some((label, url, consumed)) => {
                    parts.push(html! {
                        (&rest[..at])
                        a href=(url) target="_blank" rel="noopener noreferrer" { (label) }
                    });
                    rest = &rest[at + consumed..];
                }
                None => {
                    parts.push(html! { (&rest[..=at]) });
                    rest = &rest[at + 1..];
                }
            },
            _ => {
                parts.push(html! { (rest) });
                rest = "";
            }
        }
    }
    html! { @for part in parts { (part) } }
}

/// `[label](https://url)` at the start of `text`: label, url and bytes consumed. Only https
/// links are made clickable.
fn parse_link(text: &str) -> Option<(&str, &str, usize)> {
    let close = text.find("](")?;
    let end = text[close..].find(')')? + close;
    let url = &text[close + 2..end];
    url.starts_with("https://")
        .then(|| (&text[1..close], url, end + 1))
}

#[cfg(test)]
mod tests {
    use super::rich;

    #[test]
    fn strong_links_and_escaping() {
        assert_eq!(
            rich("Click **Create** now").into_string(),
            "Click <strong>Create</strong> now"
        );
        assert_eq!(
            rich("Sign in to [Front](https://app.frontapp.com).").into_string(),
            "Sign in to <a href=\"https://app.frontapp.com\" target=\"_blank\" rel=\"noopener noreferrer\">Front</a>."
        );
        assert_eq!(
            rich("a [b](javascript:x) <c>").into_string(),
            "a [b](javascript:x) &lt;c&gt;"
        );
        assert_eq!(rich("unclosed **bold").into_string(), "unclosed **bold");
    }
}
