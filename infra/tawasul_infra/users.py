"""The Cognito user pool: users belong to one organisation (``custom:org``, set by an admin and
never by the user) and to the groups that are Tawasul's roles."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct


class Users(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        pool_name: str,
        org_attribute: str,
        groups: Sequence[str],
        protect: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=pool_name,
            self_sign_up_enabled=False,  # admins invite their reps
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            custom_attributes={org_attribute: cognito.StringAttribute(min_len=1, max_len=64, mutable=False)},
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=False,
                require_symbols=False,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.LITE,
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        # Users may read their organisation but never write it: tenancy comes from the token.
        self.client = self.user_pool.add_client(
            "AppClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            # No hosted UI: CDK's default OAuth settings would enable the implicit grant with
            # https://example.com as the callback.
            disable_o_auth=True,
            generate_secret=False,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(org_attribute),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        for precedence, group in enumerate(reversed(list(groups))):
            cognito.CfnUserPoolGroup(
                self,
                f"{group.title()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=group,
                precedence=precedence,
                description=f"Tawasul role '{group}'",
            )
