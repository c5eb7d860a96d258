export { DataVersions, type ChangedVoucher } from './data-versions';
