use tally::LabelValue;

#[derive(tally::LabelValue, Clone, Copy, Debug, PartialEq)]
enum HttpMethod {
    Get,
    Post,
}

#[derive(tally::LabelValue, Clone, Copy, Debug, PartialEq)]
#[label(name = "code", rename_all = "kebab-case")]
enum Code {
    NotFound,
    #[label(rename = "teapot")]
    ImATeapot,
}

fn main() {
    assert_eq!(HttpMethod::NAME, "http_method");
    assert_eq!(HttpMethod::VALUES, &["get", "post"]);
    assert_eq!(Code::VALUES, &["not-found", "teapot"]);
    assert_eq!(Code::from_ordinal(1), Some(Code::ImATeapot));
    assert_eq!(Code::from_ordinal(2), None);
    assert_eq!(Code::NotFound.as_str(), "not-found");
}
