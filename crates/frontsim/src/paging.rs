//! Keyset pagination behind Front's opaque `page_token`.
//!
//! A token records where the previous page ended (the last item's sort key and id), not an
//! offset, so items created or deleted between two requests neither repeat nor go missing
//! among the items that were already there. Lists sort by `(key, id)`, a total order.

use std::cmp::Ordering;

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    key: f64,
    id: String,
}

impl Cursor {
    /// Hex of the key's bits followed by hex of the id: opaque to callers, which must not
    /// build tokens themselves.
    pub fn encode(&self) -> String {
        let mut token = format!("{:016x}", self.key.to_bits());
        for byte in self.id.bytes() {
            token.push_str(&format!("{byte:02x}"));
        }
        token
    }

    pub fn decode(token: &str) -> Option<Cursor> {
        if token.len() < 16 || !token.len().is_multiple_of(2) || !token.is_ascii() {
            return None;
        }
        let key = f64::from_bits(u64::from_str_radix(&token[..16], 16).ok()?);
        let bytes = (16..token.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        let id = String::from_utf8(bytes).ok()?;
        (!key.is_nan()).then_some(Cursor { key, id })
    }
}

/// What one request asks of a list.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Cursor>,
    pub descending: bool,
}

/// One page and, when more items follow, the cursor of its last item.
pub struct Page<'a, T> {
    pub items: Vec<&'a T>,
    pub next: Option<Cursor>,
    /// How many items the whole list has (search reports it as `_total`).
    pub total: usize,
}

/// Sorts `items` by `key` (then id) and cuts the page that follows `request.after`.
pub fn paginate<'a, T>(
    mut items: Vec<&'a T>,
    key: impl Fn(&'a T) -> (f64, &'a str),
    request: &PageRequest,
) -> Page<'a, T> {
    let order = |a: (f64, &str), b: (f64, &str)| {
        let ascending = a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1));
        if request.descending {
            ascending.reverse()
        } else {
            ascending
        }
    };
    // A stable sort: storage is kept in (nearly) this order, which it detects in linear time.
    items.sort_by(|a, b| order(key(a), key(b)));
    let start = match &request.after {
        Some(cursor) => items.partition_point(|item| {
            order(key(item), (cursor.key, cursor.id.as_str())) != Ordering::Greater
        }),
        None => 0,
    };
    let total = items.len();
    let end = start.saturating_add(request.limit).min(total);
    let page: Vec<&T> = items.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
    let next = (end < total).then(|| page.last()).flatten().map(|last| {
        let (key, id) = key(last);
        Cursor {
            key,
            id: id.to_owned(),
        }
    });
    Page {
        items: page,
        next,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            key: 1_767_225_600.123,
            id: "cnv_abc".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "xyz",
            "0123456789abcdef0",
            "0123456789abcdefzz",
            "ééééééééééééééééé",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn following_cursors_visits_every_item_once_in_order() {
        let items: Vec<(f64, String)> = (0..23)
            .map(|i| (f64::from(i % 5), format!("id{i:02}")))
            .collect();
        for descending in [false, true] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let request = PageRequest {
                    limit: 4,
                    after: after.take(),
                    descending,
                };
                let page = paginate(
                    items.iter().collect(),
                    |(k, id)| (*k, id.as_str()),
                    &request,
                );
                assert_eq!(page.total, 23);
                seen.extend(page.items.iter().map(|(_, id)| id.clone()));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 23);
            assert_eq!(seen.len(), 23);
        }
    }
}
