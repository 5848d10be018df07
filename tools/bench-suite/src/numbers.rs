//! Les nombres à la française, pour le rapport : virgule décimale, espace fine entre
//! milliers.

/// 5.254 → « 5,25 » avec deux décimales.
pub fn decimal(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}").replace('.', ",")
}

/// 1234567 → « 1 234 567 », avec une espace fine insécable (U+202F) entre les
/// milliers.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Une valeur absente (non mesurée, ou pas sous ce système) s'écrit « — ».
pub fn or_dash(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(value) if value.is_finite() => decimal(value, decimals),
        _ => "—".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_nombres_sont_ecrits_a_la_francaise() {
        assert_eq!(decimal(5.254, 2), "5,25", "virgule décimale");
        assert_eq!(
            thousands(1_280_000.0),
            "1\u{202f}280\u{202f}000",
            "espace fine"
        );
        assert_eq!(thousands(999.0), "999");
        assert_eq!(or_dash(None, 1), "—", "une mesure absente");
    }
}
