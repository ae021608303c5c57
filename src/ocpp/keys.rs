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

/// The longest CpoName taken (the security whitepaper gives no bound; a certificate's O
/// attribute is at most 64 characters, and 500 leaves room for any real company name).
pub const CPO_NAME_MAX_LENGTH: usize = 500;

/// One week: the longest interval any key accepts. A CSMS asking for more is either wrong or
/// hostile, and a longer wait is indistinguishable from "never" for an operator anyway.
pub const MAX_INTERVAL_S: u64 = 7 * 86_400;

/// The longest wait between two attempts of a file transfer the CSMS asked for
/// (`retryInterval` of GetDiagnostics, GetLog, UpdateFirmware and SignedUpdateFirmware).
pub const MAX_RETRY_INTERVAL_S: u64 = 86_400;

/// The whole numbers a writable numeric key accepts, both ends included, in the key's unit
/// (seconds for intervals). Outside the range ChangeConfiguration answers Rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRange {
    pub min: u64,
    pub max: u64,
}

impl KeyRange {
    /// The key's value as a number inside the range, or Rejected.
    pub fn parse(self, value: &str) -> Result<u64, ChangeRefused> {
        match value.trim().parse::<u64>() {
            Ok(n) if (self.min..=self.max).contains(&n) => Ok(n),
            _ => Err(ChangeRefused::Rejected),
        }
    }
}

/// Every writable numeric key and its range: the one table ChangeConfiguration, `chargerctl
/// config set` and the keys replayed from the journal at start-up are checked against.
/// 0 is in a range only where the key gives it a meaning.
pub const NUMERIC_KEYS: [(&str, KeyRange); 7] = [
    // 0 = no clock-aligned data (1.6 §9.1.3); the grid divides a day from midnight, so a
    // longer interval has no meaning.
    (
        "ClockAlignedDataInterval",
        KeyRange {
            min: 0,
            max: 86_400,
        },
    ),
    // How long an authorization waits for the plug; 0 would refuse every start.
    ("ConnectionTimeOut", KeyRange { min: 1, max: 3_600 }),
    // 1.6 gives 0 no meaning here (a heartbeat every instant); WebSocket pings are a separate
    // key.
    (
        "HeartbeatInterval",
        KeyRange {
            min: 1,
            max: MAX_INTERVAL_S,
        },
    ),
    // 0 = no periodic samples (1.6 §9.1.17).
    (
        "MeterValueSampleInterval",
        KeyRange {
            min: 0,
            max: MAX_INTERVAL_S,
        },
    ),
    // 0 = give up after the first failed reset.
    ("ResetRetries", KeyRange { min: 0, max: 10 }),
    // At least one attempt; past 100 a refused message only delays the ones behind it.
    ("TransactionMessageAttempts", KeyRange { min: 1, max: 100 }),
    // The wait grows with each attempt and is capped at an hour (see chargepoint), so a day is
    // the most that can mean anything; 0 would resend a refused message at once, forever.
    (
        "TransactionMessageRetryInterval",
        KeyRange {
            min: 1,
            max: 86_400,
        },
    ),
];

/// The range of a writable numeric key, `None` for any other key.
pub fn numeric_range(key: &str) -> Option<KeyRange> {
    NUMERIC_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, r)| *r)
}

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
    /// The ChangeConfiguration.conf status that says it.
    pub fn status(self) -> charger_protocol::ocpp::v16::ConfigurationStatus {
        use charger_protocol::ocpp::v16::ConfigurationStatus;
        match self {
            ChangeRefused::Rejected => ConfigurationStatus::Rejected,
            ChangeRefused::NotSupported => ConfigurationStatus::NotSupported,
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
    ///
    /// Every numeric key takes a whole number inside its [`NUMERIC_KEYS`] range; anything else
    /// (negative, fractional, beyond the range, not a number) is Rejected and changes nothing.
    pub fn change(&mut self, key: &str, value: &str) -> Result<(), ChangeRefused> {
        use ChangeRefused::{NotSupported, Rejected};
        if let Some(range) = numeric_range(key) {
            let n = range.parse(value)?;
            let secs = Duration::from_secs(n);
            // The range bounds every count to u32 and every interval to days.
            let count = u32::try_from(n).map_err(|_| Rejected)?;
            match key {
                "ClockAlignedDataInterval" => self.clock_aligned_data_interval = secs,
                "ConnectionTimeOut" => self.connection_timeout = secs,
                "HeartbeatInterval" => self.heartbeat_interval = secs,
                "MeterValueSampleInterval" => self.meter_value_sample_interval = secs,
                "ResetRetries" => self.reset_retries = count,
                "TransactionMessageAttempts" => self.transaction_message_attempts = count,
                "TransactionMessageRetryInterval" => self.transaction_message_retry_interval = secs,
                _ => return Err(NotSupported),
            }
            return Ok(());
        }
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
            "LocalAuthorizeOffline" => self.local_authorize_offline = flag(value)?,
            "LocalPreAuthorize" => self.local_pre_authorize = flag(value)?,
            "MeterValuesAlignedData" => self.meter_values_aligned_data = measurands(value)?,
            "MeterValuesSampledData" => self.meter_values_sampled_data = measurands(value)?,
            "StopTransactionOnInvalidId" => self.stop_transaction_on_invalid_id = flag(value)?,
            "StopTxnAlignedData" => self.stop_txn_aligned_data = measurands(value)?,
            "StopTxnSampledData" => self.stop_txn_sampled_data = measurands(value)?,
            "LocalAuthListEnabled" => self.local_auth_list_enabled = flag(value)?,
            "CpoName" => {
                if value.len() > CPO_NAME_MAX_LENGTH {
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

    /// The values a hostile CSMS tries first (issue 10): each numeric key takes exactly its
    /// range, 0 only where it means "off", and a refused value changes nothing.
    #[test]
    fn numeric_keys_take_only_their_range() {
        let edges = [
            "0",
            "-1",
            "2147483648",
            "4294967295",
            "2305843009213693952",
            "9223372036854775807",
            "18446744073709551615",
            "1e308",
            "",
            "1.5",
        ];
        for (key, range) in NUMERIC_KEYS {
            assert!(
                Keys::new(2)
                    .list()
                    .iter()
                    .any(|k| k.key == key && !k.readonly),
                "{key} is a writable key"
            );
            for value in edges
                .iter()
                .map(|v| v.to_string())
                .chain([range.min.to_string(), range.max.to_string()])
                .chain([(range.max + 1).to_string(), "x".repeat(10_240)])
            {
                let mut k = Keys::new(2);
                let before = k.clone();
                let want = value
                    .parse::<u64>()
                    .is_ok_and(|n| (range.min..=range.max).contains(&n));
                let got = k.change(key, &value);
                if want {
                    assert_eq!(got, Ok(()), "{key}={value}");
                } else {
                    assert_eq!(got, Err(ChangeRefused::Rejected), "{key}={value}");
                    assert_eq!(k, before, "{key}={value} changed nothing");
                }
            }
        }
        // 0 means "off" for the sampled and the clock-aligned data; nowhere else.
        let mut k = Keys::new(2);
        k.change("ClockAlignedDataInterval", "0").unwrap();
        k.change("MeterValueSampleInterval", "0").unwrap();
        assert_eq!(
            k.change("HeartbeatInterval", "0"),
            Err(ChangeRefused::Rejected)
        );
        assert_eq!(
            k.change("TransactionMessageAttempts", "0"),
            Err(ChangeRefused::Rejected)
        );
        assert!(k.change("ConnectionTimeOut", "0").is_err());
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
