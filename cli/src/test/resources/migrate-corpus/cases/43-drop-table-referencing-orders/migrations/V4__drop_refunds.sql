-- Refunds moved to the payment service.
DROP TABLE refunds;
