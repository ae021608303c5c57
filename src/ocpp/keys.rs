//! The OCPP 1.6 configuration keys this charge point implements (1.6 §9, security whitepaper
//! §"Configuration keys"), their values, which are read-only, and how a ChangeConfiguration is
//! checked. Pure: the shell persists what [`Keys::change`] accepted and replays it at start.

use std::time::Duration;

/// The measurands this charge point can report in MeterValues and transaction data.
pub const MEASURANDS: [&str; 7] = [
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
];

/// Limits reported as read-only keys, and enforced.
pub const LOCAL_AUTH_LIST_MAX_LENGTH: usize = 10_000;
pub const SEND_LOCAL_LIST_MAX_LENGTH: usize = 1_000;
pub const AUTH_CACHE_CAPACITY: usize = 1_000;
pub const GET_CONFIGURATION_MAX_KEYS: usize = 64;
pub const CHARGE_PROFILE_MAX_STACK_LEVEL: u32 = 32;
pub const CHARGING_SCHEDULE_MAX_PERIODS: usize = super::smart_charging::MAX_SCHEDULE_PERIODS;
/// Per connector (connector 0 included); see smart_charging::MAX_PROFILES_PER_CONNECTOR.
pub const MAX_CHARGING_PROFILES_INSTALLED: usize =
    super::smart_charging::MAX_PROFILES_PER_CONNECTOR;
pub const CERTIFICATE_STORE_MAX_LENGTH: usize = 16;
pub const CERTIFICATE_SIGNED_MAX_CHAIN_SIZE: usize = 10_000;
/// Transaction data kept for StopTransaction: the sampled values of this many samples, evenly
/// thinned out when a long session has more.
pub const STOP_TXN_MAX_SAMPLES: usize = 48;

/// The configuration keys and their values.
#[derive(Debug, Clone, PartialEq)]
pub struct Keys {
    pub heartbeat_interval: Duration,
    pub meter_value_sample_interval: Duration,
    pub clock_aligned_data_interval: Duration,
    pub meter_values_sampled_data: Vec<String>,
    pub meter_values_aligned_data: Vec<String>,
    pub stop_txn_sampled_data: Vec<String>,
    pub stop_txn_aligned_data: Vec<String>,
    pub authorize_remote_tx_requests: bool,
    pub local_authorize_offline: bool,
    pub local_pre_authorize: bool,
    pub allow_offline_tx_for_unknown_id: bool,
    pub authorization_cache_enabled: bool,
    pub local_auth_list_enabled: bool,
    pub stop_transaction_on_invalid_id: bool,
    pub transaction_message_attempts: u32,
    pub transaction_message_retry_interval: Duration,
    pub connection_timeout: Duration,
    pub reset_retries: u32,
    pub number_of_connectors: u32,
    pub websocket_ping_interval: Duration,
    /// 0-3; only ever raised (the shell checks the prerequisites and persists it).
    pub security_profile: u8,
    pub cpo_name: String,
    /// Set (write-only key) by the CSMS; never reported back.
    pub authorization_key_set: bool,
}

/// Why ChangeConfiguration did not take a value (the status it answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeRefused {
    Rejected,
    NotSupported,
}

impl ChangeRefused {
    pub fn status(self) -> &'static str {
        match self {
            ChangeRefused::Rejected => "Rejected",
            ChangeRefused::NotSupported => "NotSupported",
        }
    }
}

/// A key as GetConfiguration reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: &'static str,
    /// `None` for a write-only key (AuthorizationKey).
    pub value: Option<String>,
    pub readonly: bool,
}

fn csl(list: &[String]) -> String {
    list.join(",")
}

impl Keys {
    pub fn new(number_of_connectors: u32) -> Keys {
        let sampled: Vec<String> = [
            "Energy.Active.Import.Register",
            "Power.Active.Import",
            "Current.Import",
            "Current.Offered",
            "Voltage",
            "SoC",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        Keys {
            heartbeat_interval: Duration::from_secs(300),
            meter_value_sample_interval: Duration::from_secs(60),
            clock_aligned_data_interval: Duration::ZERO,
            meter_values_aligned_data: vec!["Energy.Active.Import.Register".into()],
            stop_txn_sampled_data: vec!["Energy.Active.Import.Register".into(), "SoC".into()],
            stop_txn_aligned_data: Vec::new(),
            meter_values_sampled_data: sampled,
            authorize_remote_tx_requests: false,
            local_authorize_offline: true,
            local_pre_authorize: false,
            allow_offline_tx_for_unknown_id: false,
            authorization_cache_enabled: true,
            local_auth_list_enabled: true,
            stop_transaction_on_invalid_id: true,
            transaction_message_attempts: 3,
            transaction_message_retry_interval: Duration::from_secs(30),
            connection_timeout: Duration::from_secs(60),
            reset_retries: 1,
            number_of_connectors,
            websocket_ping_interval: Duration::ZERO,
            security_profile: 0,
            cpo_name: String::new(),
            authorization_key_set: false,
        }
    }

    /// Every key as GetConfiguration reports it.
    pub fn list(&self) -> Vec<KeyValue> {
        let rw = |key, value: String| KeyValue {
            key,
            value: Some(value),
            readonly: false,
        };
        let ro = |key, value: String| KeyValue {
            key,
            value: Some(value),
            readonly: true,
        };
        let secs = |d: Duration| d.as_secs().to_string();
        vec![
            // Core
            rw(
                "AllowOfflineTxForUnknownId",
                self.allow_offline_tx_for_unknown_id.to_string(),
            ),
            rw(
                "AuthorizationCacheEnabled",
                self.authorization_cache_enabled.to_string(),
            ),
            rw(
                "AuthorizeRemoteTxRequests",
                self.authorize_remote_tx_requests.to_string(),
            ),
            rw(
                "ClockAlignedDataInterval",
                secs(self.clock_aligned_data_interval),
            ),
            rw("ConnectionTimeOut", secs(self.connection_timeout)),
            ro(
                "ConnectorPhaseRotation",
                "NotApplicable".to_string(),
            ),
            ro(
                "GetConfigurationMaxKeys",
                GET_CONFIGURATION_MAX_KEYS.to_string(),
            ),
            rw("HeartbeatInterval", secs(self.heartbeat_interval)),
            rw(
                "LocalAuthorizeOffline",
                self.local_authorize_offline.to_string(),
            ),
            rw("LocalPreAuthorize", self.local_pre_authorize.to_string()),
            rw(
                "MeterValuesAlignedData",
                csl(&self.meter_values_aligned_data),
            ),
            ro(
                "MeterValuesAlignedDataMaxLength",
                MEASURANDS.len().to_string(),
            ),
            rw(
                "MeterValuesSampledData",
                csl(&self.meter_values_sampled_data),
            ),
            ro(
                "MeterValuesSampledDataMaxLength",
                MEASURANDS.len().to_string(),
            ),
            rw(
                "MeterValueSampleInterval",
                secs(self.meter_value_sample_interval),
            ),
            ro(
                "NumberOfConnectors",
                self.number_of_connectors.to_string(),
            ),
            rw("ResetRetries", self.reset_retries.to_string()),
            ro("StopTransactionOnEVSideDisconnect", "true".to_string()),
            rw(
                "StopTransactionOnInvalidId",
                self.stop_transaction_on_invalid_id.to_string(),
            ),
            rw("StopTxnAlignedData", csl(&self.stop_txn_aligned_data)),
            ro(
                "StopTxnAlignedDataMaxLength",
                MEASURANDS.len().to_string(),
            ),
            rw("StopTxnSampledData", csl(&self.stop_txn_sampled_data)),
            ro(
                "StopTxnSampledDataMaxLength",
                MEASURANDS.len().to_string(),
            ),
            ro(
                "SupportedFeatureProfiles",
                "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"
                    .to_string(),
            ),
            ro(
                "SupportedFeatureProfilesMaxLength",
                "6".to_string(),
            ),
            rw(
                "TransactionMessageAttempts",
                self.transaction_message_attempts.to_string(),
            ),
            rw(
                "TransactionMessageRetryInterval",
                secs(self.transaction_message_retry_interval),
            ),
            ro("UnlockConnectorOnEVSideDisconnect", "true".to_string()),
            ro(
                "WebSocketPingInterval",
                secs(self.websocket_ping_interval),
            ),
            // Local Auth List Management
            rw(
                "LocalAuthListEnabled",
                self.local_auth_list_enabled.to_string(),
            ),
            ro(
                "LocalAuthListMaxLength",
                LOCAL_AUTH_LIST_MAX_LENGTH.to_string(),
            ),
            ro(
                "SendLocalListMaxLength",
                SEND_LOCAL_LIST_MAX_LENGTH.to_string(),
            ),
            // Reservation
            ro("ReserveConnectorZeroSupported", "true".to_string()),
            // Smart Charging
            ro(
                "ChargeProfileMaxStackLevel",
                CHARGE_PROFILE_MAX_STACK_LEVEL.to_string(),
            ),
            ro(
                "ChargingScheduleAllowedChargingRateUnit",
                "Current,Power".to_string(),
            ),
            ro(
                "ChargingScheduleMaxPeriods",
                CHARGING_SCHEDULE_MAX_PERIODS.to_string(),
            ),
            // Counted per connector (0 included): 32 on each.
            ro(
                "MaxChargingProfilesInstalled",
                (MAX_CHARGING_PROFILES_INSTALLED * (self.number_of_connectors as usize + 1))
                    .to_string(),
            ),
            // Security whitepaper
            KeyValue {
                key: "AuthorizationKey",
                value: None,
                readonly: false,
            },
            ro("AdditionalRootCertificateCheck", "false".to_string()),
            ro(
                "CertificateSignedMaxChainSize",
                CERTIFICATE_SIGNED_MAX_CHAIN_SIZE.to_string(),
            ),
            ro(
                "CertificateStoreMaxLength",
                CERTIFICATE_STORE_MAX_LENGTH.to_string(),
            ),
            rw("CpoName", self.cpo_name.clone()),
            rw("SecurityProfile", self.security_profile.to_string()),
        ]
    }

    /// Apply ChangeConfiguration for the keys that are plain values. SecurityProfile and
    /// AuthorizationKey need the shell (prerequisites, secrets) and are checked by the caller
    /// with [`Keys::check_security_profile`] / [`check_authorization_key`] first; `change`
    /// still records them so that restarts replay them.
    pub fn change(&mut self, key: &str, value: &str) -> Result<(), ChangeRefused> {
        use ChangeRefused::{NotSupported, Rejected};
        let secs = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| Rejected)
        };
        let count = |v: &str| v.trim().parse::<u32>().map_err(|_| Rejected);
        let flag = |v: &str| match v.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Rejected),
        };
        let measurands = |v: &str| -> Result<Vec<String>, ChangeRefused> {
            let list: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if list.len() > MEASURANDS.len()
                || list.iter().any(|m| !MEASURANDS.contains(&m.as_str()))
            {
                return Err(Rejected);
            }
            Ok(list)
        };
        match key {
            "AllowOfflineTxForUnknownId" => self.allow_offline_tx_for_unknown_id = flag(value)?,
            "AuthorizationCacheEnabled" => self.authorization_cache_enabled = flag(value)?,
            "AuthorizeRemoteTxRequests" => self.authorize_remote_tx_requests = flag(value)?,
            "ClockAlignedDataInterval" => self.clock_aligned_data_interval = secs(value)?,
            "ConnectionTimeOut" => {
                let d = secs(value)?;
                if d.is_zero() {
                    return Err(Rejected);
                }
                self.connection_timeout = d;
            }
            "HeartbeatInterval" => self.heartbeat_interval = secs(value)?,
            "LocalAuthorizeOffline" => self.local_authorize_offline = flag(value)?,
            "LocalPreAuthorize" => self.local_pre_authorize = flag(value)?,
            "MeterValuesAlignedData" => self.meter_values_aligned_data = measurands(value)?,
            "MeterValuesSampledData" => self.meter_values_sampled_data = measurands(value)?,
            "MeterValueSampleInterval" => self.meter_value_sample_interval = secs(value)?,
            "ResetRetries" => self.reset_retries = count(value)?,
            "StopTransactionOnInvalidId" => self.stop_transaction_on_invalid_id = flag(value)?,
            "StopTxnAlignedData" => self.stop_txn_aligned_data = measurands(value)?,
            "StopTxnSampledData" => self.stop_txn_sampled_data = measurands(value)?,
            "TransactionMessageAttempts" => {
                let n = count(value)?;
                if n == 0 {
                    return Err(Rejected);
                }
                self.transaction_message_attempts = n;
            }
            "TransactionMessageRetryInterval" => {
                self.transaction_message_retry_interval = secs(value)?
            }
            "LocalAuthListEnabled" => self.local_auth_list_enabled = flag(value)?,
            "CpoName" => {
                if value.len() > 500 {
                    return Err(Rejected);
                }
                self.cpo_name = value.to_string();
            }
            "SecurityProfile" => {
                let p = value.trim().parse::<u8>().map_err(|_| Rejected)?;
                if p > 3 || p < self.security_profile {
                    return Err(Rejected);
                }
                self.security_profile = p;
            }
            "AuthorizationKey" => {
                check_authorization_key(value)?;
                self.authorization_key_set = true;
            }
            _ if self.list().iter().any(|k| k.key == key && k.readonly) => return Err(Rejected),
            _ => return Err(NotSupported),
        }
        Ok(())
    }

    /// A new SecurityProfile value: only ever raised, 0 to 3.
    pub fn check_security_profile(&self, value: &str) -> Result<u8, ChangeRefused> {
        match value.trim().parse::<u8>() {
            Ok(p) if p <= 3 && p > self.security_profile => Ok(p),
            _ => Err(ChangeRefused::Rejected),
        }
    }
}

/// Security whitepaper (edition 3) and OCTT: the AuthorizationKey is set as 32 to 40
/// hexadecimal characters, an even number; the Basic-auth password is the 16 to 20 bytes they
/// encode ([`super::settings::AuthorizationKey::from_hex`], the one parser of the key).
pub fn check_authorization_key(value: &str) -> Result<(), ChangeRefused> {
    super::settings::AuthorizationKey::from_hex(value)
        .map(|_| ())
        .map_err(|_| ChangeRefused::Rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_keys_are_rejected_and_unknown_ones_not_supported() {
        let mut k = Keys::new(2);
        assert_eq!(
            k.change("NumberOfConnectors", "3"),
            Err(ChangeRefused::Rejected)
        );
        assert_eq!(k.change("NoSuchKey", "3"), Err(ChangeRefused::NotSupported));
        assert_eq!(
            k.change("HeartbeatInterval", "x"),
            Err(ChangeRefused::Rejected)
        );
        k.change("HeartbeatInterval", "42").unwrap();
        assert_eq!(k.heartbeat_interval, Duration::from_secs(42));
    }

    #[test]
    fn measurand_lists_take_only_supported_measurands() {
        let mut k = Keys::new(1);
        k.change(
            "MeterValuesSampledData",
            "Voltage, Current.Offered,Temperature",
        )
        .unwrap();
        assert_eq!(
            k.meter_values_sampled_data,
            vec!["Voltage", "Current.Offered", "Temperature"]
        );
        assert_eq!(
            k.change("MeterValuesSampledData", "Voltage,Frequency"),
            Err(ChangeRefused::Rejected)
        );
        assert_eq!(k.meter_values_sampled_data.len(), 3);
    }

    #[test]
    fn security_profile_only_rises_and_the_key_is_never_listed_with_a_value() {
        let mut k = Keys::new(1);
        k.change("SecurityProfile", "2").unwrap();
        assert_eq!(
            k.change("SecurityProfile", "1"),
            Err(ChangeRefused::Rejected)
        );
        assert_eq!(k.check_security_profile("2"), Err(ChangeRefused::Rejected));
        assert_eq!(k.check_security_profile("3"), Ok(3));
        assert_eq!(
            k.change("AuthorizationKey", "short"),
            Err(ChangeRefused::Rejected)
        );
        k.change("AuthorizationKey", "0123456789abcdef0123456789abcdef")
            .unwrap();
        let listed = k.list();
        let ak = listed.iter().find(|v| v.key == "AuthorizationKey").unwrap();
        assert_eq!(ak.value, None);
        assert!(listed.len() <= GET_CONFIGURATION_MAX_KEYS);
    }

    #[test]
    fn authorization_key_is_32_to_40_hex_characters_of_even_length() {
        for ok in [
            "0123456789abcdef0123456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF01234567",
            &"ff".repeat(18),
        ] {
            assert_eq!(check_authorization_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            // Printable but not hex: accepted before, as the literal password.
            "0123456789abcdef-right",
            "0123456789abcdefghij0123456789abcdef",
            // Too short, too long, odd.
            &"a".repeat(30),
            &"a".repeat(42),
            &"a".repeat(33),
            "",
            " 0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(
                check_authorization_key(bad),
                Err(ChangeRefused::Rejected),
                "{bad}"
            );
        }
    }
}
