//! The database schema, shared by both backends (only common SQL types).

diesel::table! {
    /// Editor accounts.
    users (id) {
        id -> Text,
        email -> Text,
        email_normalized -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Opaque refresh tokens, stored as hashes; one family per login.
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(refresh_tokens -> users (user_id));

diesel::table! {
    /// Articles. (`seq` and PostgreSQL's generated `search` are left out: only full-text
    /// search uses them, in SQL of its own.)
    articles (id) {
        id -> Text,
        slug -> Text,
        title -> Text,
        standfirst -> Text,
        body -> Text,
        body_html -> Text,
        body_text -> Text,
        excerpt -> Text,
        excerpt_is_custom -> Bool,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        section -> Nullable<Text>,
        language -> Text,
        canonical_url -> Nullable<Text>,
        sources -> Text,
        featured_image -> Nullable<Text>,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// An article's authors, in byline order.
    article_authors (article_id, user_id) {
        article_id -> Text,
        user_id -> Text,
        position -> Integer,
        public_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// An article's tags.
    article_tags (article_id, tag) {
        article_id -> Text,
        tag -> Text,
        position -> Integer,
        public_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Articles an article links to as related.
    article_related (article_id, related_id) {
        article_id -> Text,
        related_id -> Text,
        position -> Integer,
    }
}

diesel::table! {
    /// Earlier slugs that still lead to their article.
    article_slugs (slug) {
        slug -> Text,
        article_id -> Text,
    }
}

diesel::table! {
    /// One row per accepted change of an article.
    article_revisions (id) {
        id -> Text,
        article_id -> Text,
        version -> BigInt,
        editor_id -> Nullable<Text>,
        action -> Text,
        changed -> Text,
        snapshot -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Each article's summary as a public list shows it (JSON), current when `format` is the
    /// server's; 0 while stale.
    article_summaries (article_id) {
        article_id -> Text,
        format -> Integer,
        summary -> Nullable<Text>,
    }
}

diesel::joinable!(article_authors -> users (user_id));
diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_summaries -> articles (article_id));
diesel::joinable!(article_slugs -> articles (article_id));
diesel::joinable!(article_revisions -> articles (article_id));

diesel::table! {
    /// Uploaded images, one per distinct (metadata-stripped) file.
    images (id) {
        id -> Text,
        content_hash -> Text,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        byte_size -> BigInt,
        title -> Nullable<Text>,
        alt_text -> Nullable<Text>,
        credit -> Nullable<Text>,
        license -> Nullable<Text>,
        source_url -> Nullable<Text>,
        uploaded_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Captions: an image's words where one article uses it.
    captions (id) {
        id -> Text,
        image_id -> Text,
        article_id -> Text,
        text -> Text,
        credit -> Nullable<Text>,
        illustrative -> Bool,
        created_by -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The images each article shows.
    article_images (article_id, position) {
        article_id -> Text,
        position -> Integer,
        image_id -> Text,
        caption_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Readers' correction reports.
    correction_reports (id) {
        id -> Text,
        article_id -> Text,
        quote -> Text,
        quote_found -> Bool,
        quote_field -> Nullable<Text>,
        quote_start -> Nullable<Integer>,
        quote_end -> Nullable<Integer>,
        suggestion -> Text,
        comment -> Nullable<Text>,
        reporter_name -> Nullable<Text>,
        reporter_email -> Nullable<Text>,
        fingerprint -> Text,
        status -> Text,
        duplicate_of -> Nullable<Text>,
        editor_note -> Nullable<Text>,
        public_note -> Nullable<Text>,
        corrected_at -> Nullable<Timestamp>,
        erased_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One row: a version bumped by every change to public content.
    content_state (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    /// Webhook endpoints admins registered.
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        description -> Nullable<Text>,
        events -> Text,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The webhook outbox: events written with the change they announce.
    webhook_events (id) {
        id -> Text,
        event_type -> Text,
        subject -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        deliver_after -> Timestamp,
    }
}

diesel::table! {
    /// One event to one endpoint: pending until delivered or given up.
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        last_status_code -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Every attempt to deliver a webhook, as its endpoint's log shows it.
    webhook_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        duration_ms -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::joinable!(captions -> images (image_id));
diesel::joinable!(article_images -> images (image_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::table! {
    /// The site's sections (its navigation); an article names one by its `name`.
    sections (slug) {
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        position -> BigInt,
        retired -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// What a tag's string cannot say: its display name, description, or where it was merged.
    tags (slug) {
        slug -> Text,
        name -> Nullable<Text>,
        description -> Nullable<Text>,
        merged_into -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Public author profiles; a staff member's carries their user id.
    authors (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        slug -> Text,
        job_title -> Nullable<Text>,
        bio -> Nullable<Text>,
        avatar_image_id -> Nullable<Text>,
        website -> Nullable<Text>,
        social -> Text,
        contact_email -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        display_name -> Nullable<Text>,
    }
}

diesel::table! {
    /// Each article's public response as assembled (JSON, site-relative image URLs), current when
    /// `format` is the server's; 0 while stale. `changes` counts the changes that made it stale.
    article_documents (article_id) {
        article_id -> Text,
        format -> Integer,
        changes -> BigInt,
        version -> BigInt,
        valid_from -> Nullable<Timestamp>,
        valid_until -> Nullable<Timestamp>,
        base_at -> Nullable<Text>,
        document -> Nullable<Text>,
    }
}

diesel::joinable!(article_documents -> articles (article_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    refresh_tokens,
    articles,
    article_authors,
    article_tags,
    article_summaries,
    article_related,
    article_slugs,
    article_revisions,
    images,
    captions,
    article_images,
    correction_reports,
    content_state,
    webhook_endpoints,
    webhook_events,
    webhook_deliveries,
    webhook_attempts,
    sections,
    tags,
    authors,
    article_documents,
);

diesel::table! {
    /// Preview links: the hash of each short-lived token that opens one article's current draft.
    preview_tokens (id) {
        id -> Text,
        article_id -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Limits shared by the instances on one PostgreSQL (rate limits, login counters), under
    /// keyed hashes; SQLite keeps its limits in process and leaves this empty.
    shared_limits (key) {
        key -> Binary,
        count -> Integer,
        at_us -> BigInt,
        until_us -> BigInt,
        expires_us -> BigInt,
    }
}

diesel::table! {
    /// Each publication day's sitemap: its public articles and its newest change, as folded from
    /// `sitemap_changes`.
    sitemap_days (day) {
        day -> Date,
        articles -> BigInt,
        changed_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// Changes to days' sitemaps not yet folded into `sitemap_days` (written by triggers).
    sitemap_changes (seq) {
        seq -> BigInt,
        day -> Date,
        delta -> BigInt,
        effective_at -> Timestamp,
    }
}

diesel::table! {
    /// The fold count of `sitemap_changes` and the sitemap index rendered after fold
    /// `index_folds` (one row).
    sitemap_state (id) {
        id -> Integer,
        folds -> BigInt,
        index_folds -> Nullable<BigInt>,
        index_links -> Nullable<Text>,
        index_body -> Nullable<Text>,
    }
}

diesel::table! {
    /// Each day's sitemap (and each part of a large day) as rendered after the day's fold
    /// `version`, without the base URL.
    sitemap_bodies (day, part) {
        day -> Date,
        part -> Integer,
        version -> BigInt,
        links -> Text,
        body -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    sitemap_state,
    sitemap_changes,
    sitemap_days,
    sitemap_bodies,
);
