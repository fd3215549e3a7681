"""Install rendered files into a project: plan (pure), then apply (atomic), with a manifest."""
