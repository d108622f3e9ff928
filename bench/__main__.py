"""Run every benchmark: ``python -m bench`` (``make bench``). Results go to bench/results/*.json.

Each benchmark prints its figures beside a baseline measured in the same run; docs/benchmarks.md
records the figures of the last full run and the command that produced them.
"""

from bench import (
    accounts_app,
    biometrics_identify,
    campaign_dashboard,
    credentials_verify,
    enrollment_pipeline,
    field_sync,
    idp_token,
    intake_load,
    real_biometrics,
    registry_search,
    signing_pdf,
)

registry_search.main([])
enrollment_pipeline.main([])
biometrics_identify.main()
campaign_dashboard.main([])
field_sync.main([])
credentials_verify.main()
accounts_app.main([])
real_biometrics.main([])
signing_pdf.main()
idp_token.main([])
intake_load.main([])
