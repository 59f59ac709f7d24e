export const PORTSEG_VERSION = '0.1.0'
