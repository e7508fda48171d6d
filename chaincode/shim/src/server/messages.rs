//! Building the `ChaincodeMessage`s the shim sends.

use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{ChaincodeEvent, ChaincodeMessage, Response};
use prost::Message;

use super::router::TxKey;
use crate::chaincode::InvokeError;

/// Fabric's status of a successful response (`shim.OK`).
pub const STATUS_OK: i32 = 200;

/// The name of a message type as Fabric spells it, or `unknown type N`.
pub fn type_name(message_type: i32) -> String {
    Type::try_from(message_type)
        .map(|t| t.as_str_name().to_owned())
        .unwrap_or_else(|_| format!("unknown type {message_type}"))
}

/// A message of `kind` for the transaction `key`.
pub fn for_tx(kind: Type, key: &TxKey, payload: Vec<u8>) -> ChaincodeMessage {
    ChaincodeMessage {
        r#type: kind as i32,
        payload,
        txid: key.tx_id.clone(),
        channel_id: key.channel_id.clone(),
        ..Default::default()
    }
}

/// An `ERROR` reply to `to`, carrying its tx id and channel id.
pub fn error_reply(to: &ChaincodeMessage, text: &str) -> ChaincodeMessage {
    for_tx(Type::Error, &TxKey::of(to), text.as_bytes().to_vec())
}

/// `COMPLETED` with a marshalled `Response` and the transaction's event.
pub fn completed(
    key: &TxKey,
    response: Response,
    event: Option<ChaincodeEvent>,
) -> ChaincodeMessage {
    ChaincodeMessage {
        chaincode_event: event,
        ..for_tx(Type::Completed, key, response.encode_to_vec())
    }
}

/// The `Response` of a chaincode function's outcome: status 200 with the
/// payload, or the error's status (400 to 599) and message.
pub fn response(outcome: Result<Vec<u8>, InvokeError>) -> Response {
    match outcome {
        Ok(payload) => Response {
            status: STATUS_OK,
            message: String::new(),
            payload,
        },
        Err(error) => Response {
            status: error.status(),
            message: error.message().to_owned(),
            payload: Vec::new(),
        },
    }
}
