//! Subject matching: how a person in a request is found in a register.
//!
//! By identification number when the request gives one (exact, and the date of birth must agree);
//! otherwise by family name, given name and date of birth, compared in a normalised form so that
//! "Müller-Lüdenscheidt" and "MUELLER LUEDENSCHEIDT" are the same name. Never a guess: no match is
//! "not found", two or more are "ambiguous".

use time::Date;

/// The normalised form of a name: lower case, umlauts and ß spelled out (ä→ae, ö→oe, ü→ue,
/// ß→ss), accents dropped from common Latin letters, hyphens, apostrophes and runs of whitespace
/// collapsed to one space, leading and trailing space removed.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut pending_space = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'ä' | 'æ' => "ae",
            'ö' | 'ø' | 'œ' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ō' | 'ő' => "o",
            'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' => "u",
            'ý' | 'ÿ' => "y",
            'š' | 'ś' | 'ş' => "s",
            'ž' | 'ź' | 'ż' => "z",
            'ł' => "l",
            'ř' => "r",
            'ğ' => "g",
            c if c.is_whitespace() || matches!(c, '-' | '‐' | '–' | '\'' | '’' | '.' | ',') =>
            {
                pending_space = !out.is_empty();
                continue;
            }
            _ => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
                continue;
            }
        };
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push_str(mapped);
    }
    out
}

/// The key a person is found by without an identification number:
/// `family|given|YYYY-MM-DD`, names normalised.
pub fn match_key(family_name: &str, given_name: &str, date_of_birth: Date) -> String {
    format!(
        "{}|{}|{}",
        normalise_name(family_name),
        normalise_name(given_name),
        iso_date(date_of_birth)
    )
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{s:?} is not a date YYYY-MM-DD"))
}

/// A date as `YYYY-MM-DD`.
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Month;

    #[test]
    fn umlauts_case_hyphens_and_spaces_are_normalised() {
        assert_eq!(
            normalise_name("Müller-Lüdenscheidt"),
            "mueller luedenscheidt"
        );
        assert_eq!(
            normalise_name("  MUELLER   LUEDENSCHEIDT "),
            "mueller luedenscheidt"
        );
        assert_eq!(normalise_name("Strauß"), "strauss");
        assert_eq!(normalise_name("STRAUSS"), "strauss");
        assert_eq!(normalise_name("Öztürk"), "oeztuerk");
        assert_eq!(normalise_name("Anne-Marie"), normalise_name("anne marie"));
        assert_eq!(normalise_name("José"), "jose");
        assert_eq!(normalise_name("O'Neill"), "o neill");
        assert_eq!(normalise_name(""), "");
        assert_eq!(normalise_name(" - "), "");
    }

    #[test]
    fn different_names_stay_different() {
        assert_ne!(normalise_name("Maier"), normalise_name("Meier"));
        assert_ne!(normalise_name("Anna"), normalise_name("Anne"));
    }

    #[test]
    fn match_keys_join_names_and_date() {
        let born = Date::from_calendar_date(1985, Month::March, 7).unwrap();
        assert_eq!(
            match_key("Groß", "Jürgen", born),
            "gross|juergen|1985-03-07"
        );
        assert_eq!(
            match_key("GROSS", "juergen", born),
            match_key("Groß", "Jürgen", born)
        );
    }
}
