//! The live feed over `/graphql/ws` (graphql-transport-ws): a subscriber sees a new award
//! and its payment, with public fields only.

mod common;

use std::time::Duration;

use common::*;
use fundledger_tests::Store;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const FEED: &str = "subscription { feed { __typename \
    ... on AwardMade { awardId recipientName amount neighbourhood } \
    ... on PaymentMade { awardId amount paidTotal } } }";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next protocol message other than ping/pong.
async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time")
            .expect("an open socket")
            .expect("a readable message");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).expect("json");
            if value["type"] != "ping" && value["type"] != "pong" {
                return value;
            }
        }
    }
}

async fn subscribers_see_new_awards_and_payments(store: Store) {
    let app = spawn(store).await;
    let (_, round) = fund_and_round(&app).await;
    let application = submit(&app, ORG, &round, "Feed test", "3000.00").await;
    score(&app, "panel-pat", &application, 3, "ok").await;

    let url = format!("{}/graphql/ws", app.base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connect");
    let send = |value: Value| Message::text(value.to_string());
    socket
        .send(send(json!({ "type": "connection_init" })))
        .await
        .expect("init");
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    socket
        .send(send(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": FEED } }),
        ))
        .await
        .expect("subscribe");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let award = approve(&app, &application, "2500.75").await;
    accept_and_pay(
        &app,
        ORG,
        &award,
        "1000.25",
        "private purpose",
        "PRIVATE-REF",
        &business_day(),
    )
    .await;

    let mut received = Vec::new();
    while received.len() < 2 {
        let value = next_message(&mut socket).await;
        if value["type"] == "next" {
            received.push(value["payload"]["data"]["feed"].clone());
        }
    }
    assert_eq!(
        received[0],
        json!({ "__typename": "AwardMade", "awardId": award, "recipientName": format!("Org {ORG}"),
                "amount": "2500.75", "neighbourhood": AREA })
    );
    assert_eq!(
        received[1],
        json!({ "__typename": "PaymentMade", "awardId": award, "amount": "1000.25", "paidTotal": "1000.25" })
    );
    let everything = serde_json::to_string(&received).expect("json");
    assert!(!everything.contains("PRIVATE-REF") && !everything.contains("private purpose"));
}

on_both_stores!(subscribers_see_new_awards_and_payments);
