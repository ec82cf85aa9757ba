"""The governance room: the Approvals and Audit log pages, the Approve / Reject dialog, the
trust list, the access log and the controller that installs them through the host protocol."""
