"""The platform's view of every web hook inbox (Stripe's, Crisp's …): failed events, requeue."""
