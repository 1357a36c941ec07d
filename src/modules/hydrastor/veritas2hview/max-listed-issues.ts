/** Issues listed per export file; beyond this only their number is reported, so memory stays bounded. */
export const MAX_LISTED_ISSUES = 1000;
