//! A fixed record and a fixed secret give pinned bytes and a pinned root. If this fails, content
//! v2 changed: every commitment already in a log would stop verifying. Change the format's version
//! instead of the constants.

use onrecord_content::{Content, Secret, Withhold, verify};
use onrecord_model::{
    AttachmentRef, Channel, Digest, Flags, Kind, MessageKind, Precision, Record, RecordTime,
    Relation, RelationKind,
};

const BYTES_HEX: &str = "6f6e7265636f72642d636f6e74656e742f320a00076368616e6e656c000000087768617473617070000c636f6e766572\
736174696f6e0000000b4275646765742032303231000474797065000000076d65737361676500046b696e6400000005\
6d656469610006617574686f72000000084a616e6520446f65000773656e745f617400000014323032312d31302d3331\
5430303a33303a30305a000a6c6f63616c5f74696d6500000010323032312d31302d33315430313a33300002747a0000\
000d4575726f70652f4c6f6e646f6e000b7a6f6e655f736f7572636500000007617373756d6564000970726563697369\
6f6e000000066d696e7574650009616d6269677569747900000004666f6c6400096e61746976655f6964000000063345\
423043370004666c61670000000974696d655f666f6c640004666c616700000006656469746564001172656c6174696f\
6e2e7265706c795f746f00000006334542304131000f6174746163686d656e742e6e616d650000000c494d472d303030\
312e6a706700156174746163686d656e742e6d656469615f747970650000000a696d6167652f6a706567000f61747461\
63686d656e742e73697a6500000005343832313300116174746163686d656e742e736861323536000000403431653537\
383765396632383536326430376238393162313831366234393233303964363436633066323832393734336661343936\
3361396639636331643631000474657874000000024f6b000474657874000000022c200004746578740000000573656e\
64200004746578740000000369742000047465787400000003746f2000047465787400000003426f6200047465787400\
0000062e0af09f918d";
const ROOT_HEX: &str = "d54fe307c0966b0d71c3a3ff892afe198307058aa036e1099194c983205e0df2";

fn record() -> Record {
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
    let time = RecordTime::from_local(
        jiff::civil::date(2021, 10, 31).at(1, 30, 0, 0),
        &tz,
        "Europe/London",
        Precision::Minute,
    );
    let mut r = Record::new(
        "Budget 2021",
        Kind::Message(MessageKind::Media),
        Some("Jane Doe".to_string()),
        time,
        "Ok, send it to Bob.\n👍".to_string(),
    );
    r.native_id = Some("3EB0C7".to_string());
    r.flags = Flags::EDITED | Flags::TIME_FOLD;
    r.relations = vec![Relation {
        kind: RelationKind::ReplyTo,
        target: "3EB0A1".to_string(),
    }];
    r.attachments = vec![AttachmentRef {
        name: "IMG-0001.jpg".to_string(),
        media_type: Some("image/jpeg".to_string()),
        size: Some(48_213),
        sha256: Some(Digest::of(b"jpeg")),
    }];
    r
}

#[test]
fn pinned_bytes_and_root() {
    let content = Content::from_record(&record(), Channel::WhatsApp);
    let secret = Secret::from_bytes(std::array::from_fn(|i| i as u8));
    let bytes = hex::encode(content.encode());
    let root = content.commit_root(&secret).to_hex();
    assert_eq!(bytes, BYTES_HEX, "canonical bytes changed");
    assert_eq!(root, ROOT_HEX, "commitment root changed");
    let d = content.disclose(
        &secret,
        &Withhold {
            fields: ["author".to_string()].into(),
            phrases: vec!["bob".to_string()],
            reason: None,
        },
    );
    assert_eq!(verify(&d).unwrap().to_hex(), ROOT_HEX);
    assert!(d.render_text().ends_with("Ok, send it to [withheld].\n👍"));
}
