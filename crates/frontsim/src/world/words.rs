//! Word lists that generated data is drawn from, so that it reads like a real support team's.

pub const COMPANY_NAMES: &[&str] = &[
    "Northwind Outfitters",
    "Bluebird Coffee Roasters",
    "Larkspur Home Goods",
    "Copperline Cycles",
    "Harborview Analytics",
    "Maple & Moss Skincare",
];

pub const FIRST_NAMES: &[&str] = &[
    "Amelia", "Noah", "Olivia", "Liam", "Sofia", "Mateo", "Aisha", "Kenji", "Priya", "Lucas",
    "Chloe", "Ethan", "Maya", "Omar", "Hannah", "Diego", "Zoe", "Ravi", "Elena", "Samuel", "Grace",
    "Tomás", "Leila", "Jonas", "Nora", "Felix", "Ingrid", "Kwame", "Yuki", "Marco", "Clara",
    "Andrei", "Fatima", "Oscar", "Isla", "Hugo", "Mei", "Daniel", "Ruth", "Pablo", "Alice",
    "Bruno", "Camille", "Dmitri", "Eva", "Farah", "Gabriel", "Helena", "Ivan", "Julia",
];

pub const LAST_NAMES: &[&str] = &[
    "Nguyen", "Smith", "García", "Okafor", "Müller", "Rossi", "Tanaka", "Kowalski", "Patel",
    "Johnson", "Silva", "Dubois", "Andersen", "Haddad", "Kim", "O'Brien", "Novak", "Costa",
    "Fischer", "Moreau", "Ivanova", "Mensah", "Larsen", "Romero", "Chen", "Walker", "Singh",
    "Bianchi", "Hughes", "Sato", "Lopez", "Schmidt", "Evans", "Yilmaz", "Nakamura", "Brown",
    "Ferreira", "Jansen", "Murphy", "Wright",
];

pub const ACCOUNT_STEMS: &[&str] = &[
    "Brightwave",
    "Cedar",
    "Summit",
    "Ironclad",
    "Bluepeak",
    "Greenfield",
    "Silverline",
    "Redwood",
    "Starling",
    "Keystone",
    "Horizon",
    "Pinecrest",
    "Riverstone",
    "Lumen",
    "Atlas",
    "Beacon",
    "Cobalt",
    "Evergreen",
    "Foxglove",
    "Granite",
    "Juniper",
    "Kestrel",
    "Meridian",
    "Nimbus",
    "Orchard",
    "Quarry",
    "Sparrow",
    "Tidewater",
    "Vantage",
    "Willow",
];

pub const ACCOUNT_SUFFIXES: &[&str] = &[
    "Logistics",
    "Health",
    "Foods",
    "Studios",
    "Labs",
    "Retail",
    "Hotels",
    "Energy",
    "Consulting",
    "Media",
];

pub const ACCOUNT_DESCRIPTIONS: &[&str] = &[
    "Wholesale customer since 2021",
    "Enterprise plan, annual contract",
    "Reseller in the Nordics",
    "Pilot project, evaluating the Pro plan",
    "Long-time customer, prefers email",
];

pub const FREE_MAIL_DOMAINS: &[&str] =
    &["mail.example.net", "inbox.example.org", "post.example.com"];

pub const JOB_TITLES: &[&str] = &[
    "Operations Manager",
    "Head of Support",
    "Office Manager",
    "Founder",
    "Procurement Lead",
    "Marketing Director",
    "IT Administrator",
    "Store Manager",
];

pub const CITIES: &[&str] = &[
    "London",
    "Lisbon",
    "Toronto",
    "Austin",
    "Berlin",
    "Melbourne",
    "Nairobi",
    "Osaka",
    "Lyon",
    "Denver",
];

pub const CONTACT_LIST_NAMES: &[&str] =
    &["Newsletter", "Beta testers", "Wholesale", "VIP customers"];

pub const PRODUCTS: &[&str] = &[
    "Pro plan",
    "Starter plan",
    "mobile app",
    "API",
    "dashboard",
    "Slack integration",
    "single sign-on",
    "CSV export",
    "gift card",
    "subscription box",
];

/// `{n}` becomes an order or invoice number, `{product}` one of [`PRODUCTS`].
pub const SUBJECTS: &[&str] = &[
    "Order #{n} hasn't arrived",
    "Refund request for order #{n}",
    "Can't log in to the {product}",
    "Question about the {product}",
    "Invoice #{n} looks wrong",
    "Upgrade to the {product}",
    "Bug: the {product} shows an error",
    "Feature request: {product}",
    "Please cancel my subscription",
    "Shipping address change for order #{n}",
    "Password reset email never arrives",
    "Partnership opportunity",
    "Damaged item in order #{n}",
    "How do I export my data?",
    "Billing question about invoice #{n}",
    "Thanks for the quick help!",
    "Urgent: the {product} is down",
    "Request for a demo of the {product}",
    "Duplicate charge on my card",
    "Where is my tracking number for order #{n}?",
    "Discount code not working",
    "Bulk order inquiry",
    "Wrong size delivered in order #{n}",
    "Can I change my plan mid-cycle?",
];

pub const INBOUND_LINES: &[&str] = &[
    "I placed the order last week and still have no tracking information.",
    "I was charged twice this month and would like one of the charges refunded.",
    "Every time I try to sign in I get an error saying my session has expired.",
    "Could you tell me whether the {product} supports multiple users?",
    "The package arrived but the box was crushed and one item is broken.",
    "We are a team of twelve and would like to move everyone to the {product}.",
    "The invoice shows the wrong company address, can you reissue it?",
    "Is there a way to pause my subscription for two months?",
    "Our finance team needs a copy of last quarter's invoices.",
    "The {product} has been very slow since yesterday afternoon.",
    "I'd love to see a demo before we commit to the annual plan.",
    "Just following up on my previous message, any update?",
];

pub const OUTBOUND_LINES: &[&str] = &[
    "Thanks for reaching out! I've looked into this and issued a full refund; it should appear within 5 business days.",
    "Sorry about the trouble. I've reset your session on our side, could you try signing in again?",
    "Good news: your parcel is on its way and the tracking link is below.",
    "I've forwarded this to our billing team and will get back to you by tomorrow.",
    "Yes, the {product} supports that. I've attached a short guide.",
    "I've corrected the invoice and sent the new copy to your email address.",
    "Happy to set up a demo. Does Thursday at 3pm work for you?",
    "We've shipped a replacement at no cost, it should arrive within three days.",
];

pub const COMMENT_LINES: &[&str] = &[
    "Can you take this one? I'm out tomorrow.",
    "Refund approved, processing now.",
    "Customer is on the enterprise plan, let's prioritise.",
    "Checked with the warehouse: the parcel left on Monday.",
    "Looks like a duplicate of an earlier ticket, merging later.",
    "Escalated to engineering, waiting on a fix.",
    "Left a voicemail, will try again this afternoon.",
];

pub const SIGN_OFFS: &[&str] = &["Thanks,", "Best,", "Kind regards,", "Cheers,"];

/// Top-level tags and the tags nested under them.
pub const TAG_TREE: &[(&str, &[&str])] = &[
    (
        "Billing",
        &["Invoice", "Refund", "Chargeback", "Duplicate charge"],
    ),
    (
        "Shipping",
        &["Delayed", "Damaged", "Lost parcel", "Address change"],
    ),
    ("Bug", &["Login", "Mobile app", "API", "Performance"]),
    ("Feature request", &["Export", "Integrations", "Reporting"]),
    (
        "Account",
        &["Cancellation", "Upgrade", "Downgrade", "Password reset"],
    ),
    ("Priority", &["Urgent", "VIP", "Escalated"]),
    ("Sales", &["Demo request", "Pricing", "Partnership"]),
    ("Feedback", &["Praise", "Complaint"]),
    ("Follow up", &[]),
    ("Waiting on customer", &[]),
    ("Waiting on engineering", &[]),
    ("Internal", &[]),
    ("Survey sent", &[]),
    ("Onboarding", &[]),
    ("Churn risk", &[]),
    ("Renewal", &[]),
    ("Beta", &[]),
    ("Legal", &[]),
    ("Security", &[]),
    ("Wholesale", &[]),
    ("Returns", &[]),
    ("Spam", &[]),
    ("Do not reply", &[]),
];

pub const HIGHLIGHTS: &[&str] = &[
    "grey",
    "pink",
    "red",
    "orange",
    "yellow",
    "green",
    "light-blue",
    "blue",
    "purple",
];
